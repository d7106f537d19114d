"""The feature checks name a column copied from the label and a column that repeats another, and stay
quiet on a clean public table (scikit-learn's breast-cancer data, split as a launch splits it)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from orchestrator.config import SplitConfig
from orchestrator.data import features
from orchestrator.data.dataset import Dataset, Split
from orchestrator.data.features import check_redundant_features, check_target_leakage
from orchestrator.data.split import stratified_split
from tests.data.mroz import load_mroz


def breast_cancer(extra: dict[str, np.ndarray] | None = None, seed: int = 0) -> Dataset:
    """The breast-cancer table, plus planted columns computed from its rows and labels, split 60/20/20."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    extra = extra or {}
    x = np.column_stack([data.data, *[f(data.data, data.target) for f in extra.values()]]).astype(np.float32)
    y = data.target.astype(np.int32)
    train, val, test = stratified_split(x, y, SplitConfig(), seed=seed)
    return Dataset(Split(x[train], y[train]), Split(x[val], y[val]), Split(x[test], y[test]), ["malignant", "benign"],
                   [*map(str, data.feature_names), *extra], "breast_cancer")


def noisy_label(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return y + np.random.default_rng(0).normal(0.0, 0.1, size=len(y))


def test_a_noisy_copy_of_the_label_is_named_as_leakage():
    c = check_target_leakage(breast_cancer({"outcome_score": noisy_label}))
    assert c["status"] == "warn"
    assert c["numbers"]["columns"] == ["outcome_score"]  # and no genuine measurement beside it
    assert c["numbers"]["balanced_accuracy"]["outcome_score"] >= features.LEAKAGE_BALANCED_ACCURACY
    assert c["numbers"]["best_column"] == "outcome_score"
    assert "'outcome_score'" in c["message"] and "computed from the label" in c["message"]
    json.dumps(c, allow_nan=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_breast_cancer_is_clean_for_both_feature_checks(seed):
    data = breast_cancer(seed=seed)
    leak, redundant = check_target_leakage(data), check_redundant_features(data)
    assert leak["status"] == "ok" and leak["numbers"]["columns"] == []
    assert 0.85 < leak["numbers"]["best_balanced_accuracy"] < features.LEAKAGE_BALANCED_ACCURACY  # good columns, none too good
    assert redundant["status"] == "ok" and redundant["numbers"]["columns"] == [] and redundant["numbers"]["pairs"] == []
    a, b, r = redundant["numbers"]["highest_pair"]  # radius and perimeter: related by 2*pi, measured apart
    assert {a, b} == {"mean radius", "mean perimeter"} and 0.99 < r < features.REDUNDANT_ABS_CORRELATION
    assert "mean perimeter" in redundant["message"]
    for c in (leak, redundant):
        assert set(c) == {"name", "status", "message", "numbers"} and c["message"].endswith(".")
        json.dumps(c, allow_nan=False)


def test_a_duplicated_column_and_a_negated_one_are_named_as_redundant():
    area = list(breast_cancer().feature_names).index("mean area")
    c = check_redundant_features(breast_cancer({"area_cm2": lambda x, y: x[:, area] / 100 + 1,
                                                "minus_area": lambda x, y: -x[:, area]}))
    assert c["status"] == "warn"
    assert c["numbers"]["columns"] == ["area_cm2", "minus_area"]  # the second of each pair: the one to drop
    assert [p[:2] for p in c["numbers"]["pairs"]] == [["mean area", "area_cm2"], ["mean area", "minus_area"],
                                                      ["area_cm2", "minus_area"]]
    assert [p[2] for p in c["numbers"]["pairs"]] == pytest.approx([1.0, -1.0, -1.0], abs=1e-6)
    assert "'mean area' ~ 'area_cm2'" in c["message"]
    json.dumps(c, allow_nan=False)


def test_constant_non_finite_and_tiny_splits_do_not_break_the_feature_checks():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    x[:, 1] = 2.0  # constant: no correlation to speak of
    x[3, 2] = np.inf  # non_finite_features fails on it; these checks leave the column out instead of raising
    y = np.arange(40, dtype=np.int32) % 3
    val = Split(rng.normal(size=(9, 4)).astype(np.float32), np.arange(9, dtype=np.int32) % 3)
    data = Dataset(Split(x, y), val, val, ["a", "b", "c"], ["f0", "f1", "f2", "f3"], "test")
    leak, redundant = check_target_leakage(data), check_redundant_features(data)
    assert leak["status"] == "ok" and leak["numbers"]["best_column"] in {"f0", "f1", "f3"}
    assert redundant["status"] == "ok" and set(redundant["numbers"]["highest_pair"][:2]) == {"f0", "f3"}
    one_class = Split(val.x, np.zeros(9, dtype=np.int32))  # always answering "a" would score 1.0 here
    c = check_target_leakage(Dataset(Split(x, y), one_class, one_class, ["a", "b", "c"], data.feature_names, "test"))
    assert c["status"] == "ok" and "not measured" in c["message"]
    empty = Dataset(Split(x[:0], y[:0]), val, val, ["a", "b", "c"], data.feature_names, "test")
    for c in (leak, redundant, check_target_leakage(empty), check_redundant_features(empty)):
        assert c["status"] == "ok", c
        json.dumps(c, allow_nan=False)


@pytest.fixture(scope="module")
def mroz(tmp_path_factory) -> Dataset:
    return load_mroz(tmp_path_factory.mktemp("mroz"))


def test_one_hot_levels_of_a_yes_no_column_raise_no_alarm_while_a_planted_copy_does(mroz):
    assert {"city=yes", "city=no", "employed=y"} <= set(mroz.feature_names)  # gg-train's own encoding
    c = check_redundant_features(mroz)
    assert c["status"] == "warn"
    assert c["numbers"]["pairs"] == [["hoursh", "hoursh_x2", pytest.approx(1.0, abs=1e-6)]]
    assert c["numbers"]["columns"] == ["hoursh_x2"]
    assert "city" not in c["message"] and "employed" not in c["message"]


def test_leakage_names_the_users_columns_once_each(mroz):
    c = check_target_leakage(mroz)
    assert c["status"] == "warn"
    assert set(c["numbers"]["columns"]) == {"hoursw", "hearnw", "employed"}  # not 'employed=y' and 'employed=n'
    assert "'employed'" in c["message"] and "employed=" not in c["message"]
