"""The scikit-learn references: fitted on train, chosen on validation, scored once on test, compared
with every network on the same test rows, and said plainly in the headline when one beats them all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from orchestrator.data.dataset import Dataset, Split
from orchestrator.report.tables import variant_rows
from orchestrator.results.metrics import classification_metrics
from orchestrator.results.references import C_GRID, NAMES, evaluate_references, fit_references, reference_sentences
from orchestrator.results.significance import paired_bootstrap

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sample_report.json"


def linear_table(n: int, seed: int, positive_share: float = 0.5) -> Split:
    """Two classes split by a line through 8 features (plus a little label noise)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    score = x @ np.linspace(1, 0.2, 8)
    y = (score > np.quantile(score, 1 - positive_share)).astype(int)
    flip = rng.random(n) < 0.03
    return Split(x, np.where(flip, 1 - y, y))


def dataset(positive_share: float = 0.5) -> Dataset:
    return Dataset(linear_table(600, 0, positive_share), linear_table(300, 1, positive_share),
                   linear_table(600, 2, positive_share), ["no", "yes"], [f"f{i}" for i in range(8)], "test")


def report_for(data: Dataset, imbalanced: bool = False, metric: str = "val_loss") -> dict:
    counts = {s: getattr(data, s).class_counts(2) for s in ("train", "val", "test")}
    check = {"name": "class_imbalance", "status": "warn" if imbalanced else "ok"}
    return {"selection": {"metric": metric, "mode": "min" if metric.endswith("loss") else "max"},
            "data": {"class_counts": counts, "class_names": data.class_names, "checks": [check]},
            "best": {"variant": "l2"}}


def test_references_are_chosen_on_validation_and_carry_the_variants_metrics():
    data = dataset()
    refs = evaluate_references(data, report_for(data), {})
    assert [r["name"] for r in refs] == list(NAMES)
    fields = set(classification_metrics(data.test.y, np.full((len(data.test.y), 2), 0.5), 2, [60, 40]))
    for ref in refs:
        assert set(ref["val"]) == fields and set(ref["test"]) == fields
        assert ref["test"]["n"] == len(data.test.y)
    settings = {r["name"]: r["settings"] for r in refs}
    assert settings["logistic_regression"]["C"] in C_GRID and settings["logistic_regression"]["chosen_on"] == "val_loss"
    assert 1 <= settings["gradient_boosting"]["max_iter"] <= 200
    logistic = next(r for r in refs if r["name"] == "logistic_regression")
    assert logistic["test"]["accuracy"] > 0.9  # the boundary is a line
    majority = next(r for r in refs if r["name"] == "majority")
    assert majority["test"]["balanced_accuracy"] == 0.5


def test_under_imbalance_the_references_weigh_their_classes():
    data = dataset(positive_share=0.1)
    refs = evaluate_references(data, report_for(data, imbalanced=True, metric="val_pr_auc"), {})
    logistic = next(r for r in refs if r["name"] == "logistic_regression")
    assert logistic["settings"]["class_weight"] == "balanced" and logistic["settings"]["chosen_on"] == "val_pr_auc"


def test_a_reference_that_beats_every_network_by_more_than_noise_is_marked():
    data = dataset()
    y = data.test.y
    half_wrong = np.arange(len(y)) % 2 == 0  # a network right on every other row only
    close = np.ones(len(y), dtype=bool)  # a network right on every row: the reference cannot beat it
    refs = evaluate_references(data, report_for(data), {"l2": half_wrong, "baseline": half_wrong})
    logistic = next(r for r in refs if r["name"] == "logistic_regression")
    assert logistic["beats_every_network"] and logistic["against_winner"]["better"]
    assert logistic["against_winner"]["mcnemar"]["p_value"] < 0.05
    refs = evaluate_references(data, report_for(data), {"l2": half_wrong, "baseline": close})
    assert not any(r["beats_every_network"] for r in refs)


def test_images_get_the_majority_only():
    rng = np.random.default_rng(0)
    split = Split(rng.random((40, 4, 4, 1)).astype(np.float32), np.array([0, 1, 1, 1] * 10))
    refs = evaluate_references(Dataset(split, split, split, ["a", "b"], [], "images"), report_for(dataset()), {})
    assert [r["name"] for r in refs] == ["majority"] and refs[0]["test"]["accuracy"] == 0.75


def test_without_validation_rows_the_defaults_are_used():
    data = dataset()
    fitted = fit_references(data.train.x, data.train.y, 2)
    assert [f.settings.get("C") for f in fitted if f.name == "logistic_regression"] == [1.0]


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "minority_f1"])
def test_the_paired_bootstrap_measures_what_scikit_learn_measures(metric):
    from sklearn import metrics as skm

    rng = np.random.default_rng(1)
    y = (rng.random(500) < 0.1).astype(int)
    a, b = np.where(rng.random(500) < 0.8, y, 1 - y), np.where(rng.random(500) < 0.9, y, 1 - y)
    out = paired_bootstrap(y, a == y, b == y, metric, minority=1)
    score = {"accuracy": skm.accuracy_score, "balanced_accuracy": skm.balanced_accuracy_score, "minority_f1": skm.f1_score}[metric]
    assert out["first"] == pytest.approx(score(y, a)) and out["second"] == pytest.approx(score(y, b))
    assert out["interval"][0] < out["difference"] < out["interval"][1]
    same = paired_bootstrap(y, a == y, a == y, metric, minority=1)
    assert same["difference"] == 0 and not same["significant"]


def entry(name: str, beats: bool, metric: str = "minority_f1") -> dict:
    return {"name": name, "beats_every_network": beats, "test": {"accuracy": 0.9},
            "against_winner": {"metric": metric, "reference": 0.39, "network": 0.30, "interval": [0.03, 0.15],
                               "mcnemar": {"p_value": 0.004}, "better": beats}}


def test_the_headline_says_plainly_when_a_reference_beats_every_network():
    report = {"data": {"class_counts": {"train": [960, 40]}, "class_names": ["no", "yes"]},
              "references": [entry("majority", False), entry("logistic_regression", True), entry("gradient_boosting", False)]}
    [sentence] = reference_sentences(report)
    assert sentence.startswith("A linear model does better")
    assert "the F1 of 'yes' 0.39 on test against 0.30 for the winner" in sentence and "+0.03 to +0.15" in sentence
    report["references"] = [entry("gradient_boosting", True, "accuracy")]
    [sentence] = reference_sentences(report)
    assert sentence.startswith("Gradient-boosted trees do better on this table") and "McNemar p = 0.004" in sentence
    assert "consider them, or better features" in sentence
    report["references"] = [{**entry("gradient_boosting", False), "against_winner": {**entry("x", True)["against_winner"]}}]
    [sentence] = reference_sentences(report)  # better than the winner, not than every network: said, with that scope
    assert sentence.startswith("Gradient-boosted trees do better") and "a network not chosen on validation comes as close" in sentence
    report["references"] = [entry("logistic_regression", False), entry("gradient_boosting", False), entry("majority", True)]
    assert reference_sentences(report) == []
    assert reference_sentences({}) == []


def test_the_table_shows_each_reference_marked_and_never_starred():
    report = json.loads(FIXTURE.read_text(encoding="utf-8"))
    report["references"] = [{"name": "logistic_regression", "train": {"accuracy": 0.9}, "val": {"accuracy": 0.88},
                             "test": {"accuracy": 0.87, "f1": 0.8, "loss": 0.3}}]
    headers, rows = variant_rows(report)
    last = rows[-1]
    assert len(last) == len(headers) and last[0] == "logistic_regression (reference)" and last[1] == "reference"
    assert last[5] == "0.870" and not last[0].startswith("★")


def test_the_diagnosis_summary_carries_the_reference_sentence():
    """The sentence reaches report.json's summary (the console, report.md and `show` print that), in
    its severity tier: after the fit, never before a leak."""
    from orchestrator.results.diagnosis import diagnose

    report = json.loads((Path(__file__).parents[1] / "fixtures" / "sample_report.json").read_text())
    report["references"] = [entry("gradient_boosting", True, "accuracy")]
    summary = diagnose(report)["summary"]
    said = [k for k, s in enumerate(summary) if s.startswith("Gradient-boosted trees do better on this table")]
    assert said and said[0] > 0


def test_a_class_the_uniform_sample_would_miss_is_kept():
    """A large table with a handful of positives: the 20,000-row sample can hold none of them, and a
    logistic regression fitted on one class raises after every trial has run (found in review)."""
    from orchestrator.data.drift import sample_rows
    from orchestrator.results.references import REFERENCE_TRAIN_ROWS, SEED, fit_references

    n = 2 * REFERENCE_TRAIN_ROWS
    left_out = np.setdiff1d(np.arange(n), sample_rows(n, REFERENCE_TRAIN_ROWS, SEED))[:3]
    y = np.zeros(n, dtype=np.int64)
    y[left_out] = 1
    x = np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32)
    x[left_out] += 4
    fitted = {f.name: f for f in fit_references(x, y, 2, names=("logistic_regression", "gradient_boosting"))}
    assert list(fitted["logistic_regression"].model.classes_) == [0, 1]


def test_the_sentence_says_which_cut_when_the_winner_exports_another_threshold():
    """The references are compared at their argmax; a winner exporting a tuned cut is scored there too
    (found in review: "F1 0.40 at the tuned threshold" and "0.30 for the winner" side by side)."""
    report = {"data": {"class_counts": {"train": [960, 40]}, "class_names": ["no", "yes"]},
              "references": [entry("logistic_regression", True)],
              "best": {"threshold": {"value": 0.31, "tuned": {"test": {"f1": 0.41}}}}}
    [sentence] = reference_sentences(report)
    assert "both at the 0.5 cut, while at its exported threshold 0.31 the winner's F1 is 0.41" in sentence
    report["best"]["threshold"]["value"] = 0.5
    assert "0.5 cut" not in reference_sentences(report)[0]
