"""Data checks find imbalance, leakage, label shift, dead and broken features, and stay quiet on clean data."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from orchestrator.data.checks import run_checks
from orchestrator.data.dataset import Dataset, Split


def split(n: int, positives: float = 0.5, n_features: int = 4, seed: int = 0, n_classes: int = 2) -> Split:
    """n rows of distinct random features; exactly round(n * positives) rows of class 1 when binary."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features)).astype(np.float32)
    if n_classes == 2:
        y = np.zeros(n, dtype=np.int32)
        y[: round(n * positives)] = 1
    else:
        y = (np.arange(n) % n_classes).astype(np.int32)
    return Split(x, y)


def dataset(train: Split, val: Split, test: Split, class_names=("no", "yes")) -> Dataset:
    names = [f"f{i}" for i in range(train.x.shape[1])]
    return Dataset(train=train, val=val, test=test, class_names=list(class_names), feature_names=names, source="test")


def by_name(checks: list[dict]) -> dict[str, dict]:
    return {c["name"]: c for c in checks}


def clean() -> Dataset:
    return dataset(split(200, seed=1), split(60, seed=2), split(60, seed=3))


def test_clean_data_passes_every_check_with_the_documented_shape():
    checks = run_checks(clean())
    assert [c["name"] for c in checks] == ["class_imbalance", "duplicates_across_splits", "label_shift",
                                           "constant_features", "non_finite_features", "target_leakage",
                                           "redundant_features"]
    for c in checks:
        assert set(c) == {"name", "status", "message", "numbers"}
        assert c["status"] == "ok", c
        assert c["message"].endswith(".") and "\n" not in c["message"]
    json.dumps(checks, allow_nan=False)  # the checks go into report.json as they are


def test_five_percent_positives_warns_imbalance_with_the_ratio_and_the_fix():
    d = dataset(split(200, positives=0.05, seed=1), split(60, positives=0.05, seed=2), split(60, positives=0.05, seed=3))
    c = by_name(run_checks(d))["class_imbalance"]
    assert c["status"] == "warn"
    assert c["numbers"]["counts"] == [190, 10]
    assert c["numbers"]["ratio"] == pytest.approx(19.0)
    assert c["numbers"]["minority_share"] == pytest.approx(0.05)
    assert c["numbers"]["minority_name"] == "yes"
    assert "class_weight 'balanced'" in c["message"] and "search.class_weighting=off" in c["message"]
    assert "recall" in c["message"] and "F1" in c["message"]
    json.dumps(c, allow_nan=False)


def test_imbalance_thresholds_binary_share_and_multiclass_ratio():
    mild = dataset(split(200, positives=0.25, seed=1), split(60, positives=0.25, seed=2), split(60, positives=0.25, seed=3))
    assert by_name(run_checks(mild))["class_imbalance"]["status"] == "ok"  # 25% share, ratio exactly 3
    y = np.array([0] * 80 + [1] * 80 + [2] * 20, dtype=np.int32)  # ratio 4 > 3 in a 3-class task
    train = Split(np.random.default_rng(0).normal(size=(180, 3)).astype(np.float32), y)
    multi = dataset(train, split(30, seed=2, n_features=3, n_classes=3), split(30, seed=3, n_features=3, n_classes=3), "abc")
    c = by_name(run_checks(multi))["class_imbalance"]
    assert c["status"] == "warn" and c["numbers"]["ratio"] == pytest.approx(4.0)


def test_test_rows_copied_into_train_are_counted_as_leakage():
    train, val, test = split(200, seed=1), split(60, seed=2), split(60, seed=3)
    leaky = Split(np.concatenate([train.x, test.x[:7]]), np.concatenate([train.y, test.y[:7]]))
    c = by_name(run_checks(dataset(leaky, val, test)))["duplicates_across_splits"]
    assert c["status"] == "warn"
    assert c["numbers"]["test_rows_in_train"] == 7
    assert c["numbers"]["val_rows_in_train"] == 0 and c["numbers"]["test_rows_in_val"] == 0
    assert "7 of the 60 test rows also appear in the train" in c["message"]


def test_duplicate_rows_with_conflicting_labels_inside_train_are_counted():
    train = split(100, seed=1)
    x = np.concatenate([train.x, train.x[:1], train.x[1:2]])
    x[0, 0] = -0.0
    x[100, 0] = 0.0  # -0.0 and 0.0 are the same number: still a duplicate
    y = np.concatenate([train.y, 1 - train.y[:1], train.y[1:2]])
    c = by_name(run_checks(dataset(Split(x, y), split(60, seed=2), split(60, seed=3))))["duplicates_across_splits"]
    assert c["numbers"]["train_duplicate_rows"] == 2
    assert c["numbers"]["train_conflicting_label_rows"] == 2
    assert c["status"] == "ok"  # nothing crosses splits


def test_shifted_test_split_warns_label_shift():
    d = dataset(split(200, positives=0.5, seed=1), split(60, positives=0.5, seed=2), split(60, positives=0.8, seed=3))
    c = by_name(run_checks(d))["label_shift"]
    assert c["status"] == "warn"
    assert c["numbers"]["max_diff_train_test"] == pytest.approx(0.30)
    assert c["numbers"]["max_diff_train_val"] == pytest.approx(0.0)
    assert c["numbers"]["proportions"]["test"] == pytest.approx([0.2, 0.8])
    assert "test" in c["message"]


def test_a_class_missing_from_val_warns_label_shift():
    d = dataset(split(200, seed=1), split(60, positives=0.0, seed=2), split(60, seed=3))
    c = by_name(run_checks(d))["label_shift"]
    assert c["status"] == "warn" and c["numbers"]["absent"] == {"val": ["yes"]}


def test_constant_column_is_named():
    train = split(200, seed=1)
    x = train.x.copy()
    x[:, 2] = 3.5
    c = by_name(run_checks(dataset(Split(x, train.y), split(60, seed=2), split(60, seed=3))))["constant_features"]
    assert c["status"] == "warn"
    assert c["numbers"]["constant_features"] == ["f2"]
    assert "f2" in c["message"]


def test_non_finite_values_fail():
    test = split(60, seed=3)
    x = test.x.copy()
    x[5, 1], x[6, 0] = np.nan, np.inf
    c = by_name(run_checks(dataset(split(200, seed=1), split(60, seed=2), Split(x, test.y))))["non_finite_features"]
    assert c["status"] == "fail"
    assert c["numbers"]["test_non_finite"] == 2 and c["numbers"]["train_non_finite"] == 0


def test_checks_are_vectorized_fast_on_1e5_rows_by_100_features():
    d = dataset(split(100_000, positives=0.3, n_features=100, seed=1), split(20_000, positives=0.3, n_features=100, seed=2),
                split(20_000, positives=0.3, n_features=100, seed=3))
    start = time.perf_counter()
    checks = run_checks(d)
    assert time.perf_counter() - start < 10.0
    assert all(c["status"] == "ok" for c in checks)


def test_duplicated_rows_in_a_csv_show_as_leakage_with_the_count(tmp_path):
    """Read from a real CSV and split as a launch would: the check counts the test rows that also
    sit in the training split, and the count matches a direct recount."""
    import pandas as pd

    from orchestrator.config import DataConfig
    from orchestrator.data import load_dataset

    rng = np.random.default_rng(0)
    base = pd.DataFrame(rng.normal(size=(160, 4)), columns=list("abcd"))
    base["y"] = (base["a"] > 0).astype(int)
    frame = pd.concat([base, base.iloc[:40]], ignore_index=True)  # 40 rows appear twice
    path = tmp_path / "dupes.csv"
    frame.to_csv(path, index=False)
    dataset = load_dataset(DataConfig(source="csv", path=path, label="y"), seed=0)
    check = next(c for c in run_checks(dataset) if c["name"] == "duplicates_across_splits")
    train_rows = {row.tobytes() for row in dataset.train.x}
    expected = sum(row.tobytes() in train_rows for row in dataset.test.x)
    assert expected > 0
    assert check["status"] == "warn" and check["numbers"]["test_rows_in_train"] == expected
    assert str(expected) in check["message"]


# ---- images ------------------------------------------------------------------------------------


def image_split(n: int, seed: int, shape=(8, 8, 1), n_classes: int = 2) -> Split:
    """n distinct random uint8 images, classes in turn."""
    x = np.random.default_rng(seed).integers(0, 256, size=(n, *shape), dtype=np.uint8)
    return Split(x, (np.arange(n) % n_classes).astype(np.int32))


def image_dataset(train: Split, val: Split, test: Split) -> Dataset:
    return Dataset(train, val, test, ["a", "b"], feature_names=[], source="test")


def test_clean_images_keep_the_report_layout_and_table_checks_say_they_do_not_apply():
    checks = run_checks(image_dataset(image_split(100, 1), image_split(30, 2), image_split(30, 3)))
    assert [c["name"] for c in checks] == ["class_imbalance", "duplicates_across_splits", "label_shift",
                                           "constant_features", "non_finite_features", "target_leakage",
                                           "redundant_features"]
    assert all(c["status"] == "ok" for c in checks), checks
    named = by_name(checks)
    for name in ("constant_features", "target_leakage", "redundant_features"):
        assert "does not apply to images" in named[name]["message"]
        assert named[name]["numbers"]["applies"] is False
    assert named["duplicates_across_splits"]["message"] == "No image appears in more than one split."
    json.dumps(checks, allow_nan=False)


def test_a_test_image_copied_from_train_warns_duplicates():
    train, val, test = image_split(100, 1), image_split(30, 2), image_split(30, 3)
    x = test.x.copy()
    x[4] = train.x[17]
    x[5] = train.x[18]
    x[5, 0, 0, 0] ^= 1  # one pixel off: not a copy
    c = by_name(run_checks(image_dataset(train, val, Split(x, test.y))))["duplicates_across_splits"]
    assert c["status"] == "warn"
    assert c["numbers"]["test_rows_in_train"] == 1
    assert c["numbers"]["val_rows_in_train"] == 0 and c["numbers"]["test_rows_in_val"] == 0
    assert "1 of the 30 test images also appear in the train split" in c["message"]


def test_image_copies_compare_across_dtypes_and_signed_zeros():
    """A float image holding a uint8 training image's values is the same image; so is one with -0.0 for 0.0."""
    train, val = image_split(50, 1, shape=(4, 4, 3)), image_split(10, 2, shape=(4, 4, 3))
    test_x = np.random.default_rng(9).normal(size=(20, 4, 4, 3)).astype(np.float32)
    test_x[0] = train.x[3]  # uint8 values in a float32 split
    test = Split(test_x, (np.arange(20) % 2).astype(np.int32))
    c = by_name(run_checks(image_dataset(train, val, test)))["duplicates_across_splits"]
    assert c["numbers"]["test_rows_in_train"] == 1

    zeros = train.x[:2].astype(np.float32)
    zeros[:, 0, 0, 0] = 0.0
    negative = zeros.copy()
    negative[:, 0, 0, 0] = -0.0
    tr = Split(np.concatenate([train.x.astype(np.float32), negative]), np.concatenate([train.y, train.y[:2]]))
    c = by_name(run_checks(image_dataset(tr, Split(zeros, train.y[:2]), test)))["duplicates_across_splits"]
    assert c["numbers"]["val_rows_in_train"] == 2


def test_non_finite_pixels_fail_and_name_the_images():
    train = image_split(40, 1)
    x = train.x.astype(np.float32)
    x[3, 1, 2, 0], x[7, 0, 0, 0], x[7, 5, 5, 0] = np.nan, np.inf, -np.inf
    c = by_name(run_checks(image_dataset(Split(x, train.y), image_split(10, 2), image_split(10, 3))))["non_finite_features"]
    assert c["status"] == "fail"
    assert c["numbers"]["train_non_finite"] == 3 and c["numbers"]["train_images"] == [3, 7]
    assert "3 pixel values are NaN or infinite" in c["message"]
