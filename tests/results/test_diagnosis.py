"""The diagnosis says which variants overfit or underfit, warns near the majority baseline, and never crashes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from orchestrator.data.checks import run_checks
from orchestrator.data.dataset import Dataset, Split
from orchestrator.results.diagnosis import diagnose, val_loss_turned_up_at

SAMPLE = Path(__file__).parents[1] / "fixtures" / "sample_report.json"


def metrics(acc: float, majority: float | None = 0.5, loss: float = 0.5, n: int = 100, recalls=None) -> dict:
    out = {"accuracy": acc, "loss": loss, "n": n, "f1": acc}
    if majority is not None:
        out["majority_accuracy"] = majority
    if recalls is not None:
        out["per_class"] = [{"recall": r, "precision": r, "f1": r, "support": 10} for r in recalls]
    return out


def variant(name: str, train: float, val: float, test: float, kind: str | None = None, **extra) -> dict:
    return {"variant": name, "kind": kind or name, "status": "completed", "train": metrics(train),
            "val": metrics(val), "test": metrics(test), **extra}


def report(variants: list[dict], best: str | None, data: dict | None = None) -> dict:
    chosen = next((v for v in variants if v["variant"] == best), None)
    return {"task": "binary", "variants": variants,
            "best": {k: chosen[k] for k in ("variant", "train", "val", "test")} if chosen else None,
            "data": data if data is not None else {"class_counts": {"train": [150, 150], "val": [50, 50], "test": [50, 50]},
                                                   "class_names": ["no", "yes"], "n_val": 100, "n_test": 100}}


def verdict(diagnosis: dict, name: str) -> dict:
    return next(v for v in diagnosis["verdicts"] if v["variant"] == name)


def test_memorizing_baseline_is_overfit_and_the_summary_names_the_variant_that_closes_the_gap():
    # The variant compared with the baseline is the one chosen on validation, never one picked by
    # its test numbers (l2 has the better test accuracy and gap here; it must not be the one named).
    r = report([variant("baseline", 1.00, 0.70, 0.67),
                variant("dropout", 0.60, 0.60, 0.60),
                variant("l2", 0.76, 0.75, 0.74),
                variant("dropout_early_stopping", 0.76, 0.75, 0.74)], best="dropout_early_stopping")
    r["variants"][2]["test"]["accuracy"] = 0.80
    d = diagnose(r)
    base = verdict(d, "baseline")
    assert base["verdict"] == "overfit"
    assert base["gap_train_test"] == pytest.approx(0.33)
    assert base["gap_train_val"] == pytest.approx(0.30) and base["gap_val_test"] == pytest.approx(0.03)
    assert d["summary"][0] == "The unregularized model memorizes the training set: train 1.00, test 0.67."
    assert d["summary"][1] == ("dropout_early_stopping (the variant chosen on validation) cuts the gap from 0.33 to 0.02 "
                               "and raises test accuracy to 0.74.")
    assert not any(line.startswith("l2 ") for line in d["summary"])
    assert verdict(d, "dropout_early_stopping")["verdict"] == "good fit"


def test_model_at_majority_accuracy_is_underfit_with_a_loud_warning():
    r = report([variant("baseline", 0.52, 0.52, 0.52)], best="baseline")
    for split in ("train", "val", "test"):
        r["variants"][0][split]["majority_accuracy"] = 0.51
    r["best"] = {k: r["variants"][0][k] for k in ("variant", "train", "val", "test")}
    d = diagnose(r)
    assert verdict(d, "baseline")["verdict"] == "underfit"
    assert d["majority_baseline"]["near_majority"] is True
    assert d["majority_baseline"]["margin"] == pytest.approx(0.01)
    assert d["summary"][0] == d["majority_baseline"]["warning"]
    assert "0.52 is barely above the 0.51 you'd get by always answering 'no'" in d["summary"][0]
    assert "underfits" in d["summary"][1]


def test_far_above_majority_gives_no_warning():
    d = diagnose(report([variant("baseline", 0.85, 0.80, 0.80)], best="baseline"))
    assert d["majority_baseline"]["near_majority"] is False and d["majority_baseline"]["warning"] is None
    assert verdict(d, "baseline")["verdict"] == "good fit"


@pytest.mark.parametrize("train,val,expected", [
    (0.99, 0.93, "overfit"),    # memorized: gap only 0.06, but train is near-perfect
    (0.90, 0.79, "overfit"),    # gap 0.11 > 0.10
    (0.90, 0.81, "good fit"),   # gap 0.09
    (0.70, 0.69, "underfit"),   # only 40% of the way from the 0.5 majority baseline to 1.0
    (0.54, 0.53, "underfit"),   # within 0.05 of the majority baseline
])
def test_verdict_thresholds(train, val, expected):
    assert verdict(diagnose(report([variant("v", train, val, val)], best="v")), "v")["verdict"] == expected


def test_val_loss_turned_up_at_is_the_epoch_a_patience_3_stop_would_restore():
    history = [{"epoch": i + 1, "val_loss": loss} for i, loss in enumerate([0.5, 0.4, 0.45, 0.46, 0.47, 0.3])]
    assert val_loss_turned_up_at(history) == 2
    bump = [{"epoch": i + 1, "val_loss": loss} for i, loss in enumerate([0.5, 0.4, 0.45, 0.46, 0.35, 0.3])]
    assert val_loss_turned_up_at(bump) is None
    assert val_loss_turned_up_at(None) is None and val_loss_turned_up_at([{"epoch": 1}]) is None
    d = diagnose(report([variant("baseline", 1.0, 0.7, 0.7, history=history)], best="baseline"))
    assert verdict(d, "baseline")["val_loss_turned_up_at"] == 2
    assert "after epoch 2" in verdict(d, "baseline")["reason"]


def test_without_a_baseline_the_largest_gap_is_compared_with_the_winner():
    d = diagnose(report([variant("l2", 0.95, 0.66, 0.65), variant("dropout", 0.80, 0.76, 0.75)], best="dropout"))
    assert d["summary"][0].startswith("No baseline ran; l2")
    assert d["summary"][1] == ("dropout (the variant chosen on validation) cuts the gap from 0.30 to 0.05 "
                               "and raises test accuracy to 0.75.")


def test_selection_optimism_compares_validation_with_test():
    r = report([variant("baseline", 0.95, 0.90, 0.70)], best="baseline")
    r["best"]["test"]["loss"] = 0.9
    s = diagnose(r)["selection_optimism"]
    assert s["accuracy_drop"] == pytest.approx(0.20) and s["loss_rise"] == pytest.approx(0.4)
    assert "chosen on validation data" in s["message"] and "evaluated once on test" in s["message"]
    assert "exceeds" in s["message"]  # 0.20 is far beyond the sampling noise of 100 + 100 rows


def test_missing_optional_fields_do_not_crash():
    bare = {"variants": [{"variant": "baseline", "train": {"accuracy": 1.0}, "val": {"accuracy": 0.7}, "test": {"accuracy": 0.6}},
                         {"variant": "l2", "train": {"accuracy": 0.8}, "test": {"accuracy": 0.75}},
                         {"variant": "broken"}]}
    d = diagnose(bare)
    assert [v["variant"] for v in d["verdicts"]] == ["baseline", "l2"]
    assert verdict(d, "baseline")["verdict"] == "overfit" and verdict(d, "baseline")["val_loss_turned_up_at"] is None
    assert d["majority_baseline"]["near_majority"] is False and d["selection_optimism"]["message"] is None
    assert d["summary"] and all(isinstance(s, str) for s in d["summary"])
    json.dumps(d, allow_nan=False)


def test_zero_variants_say_no_trial_produced_a_model():
    d = diagnose({"variants": [], "best": None, "data": {"checks": [{"name": "x", "status": "fail", "message": "Broken."}]}})
    assert d["verdicts"] == []
    assert d["summary"][0].startswith("No trial produced a model")
    assert "Data check x: Broken." in d["summary"]
    assert diagnose({})["summary"][0].startswith("No trial produced a model")


def test_multiclass_imbalance_reports_per_class_recall_by_name():
    v = variant("baseline", 0.95, 0.90, 0.90)
    v["test"] = metrics(0.90, majority=0.85, recalls=[0.98, 0.60, 0.10])
    data = {"class_counts": {"train": [170, 20, 10], "val": [85, 10, 5], "test": [85, 10, 5]},
            "class_names": ["cat", "dog", "eel"],
            "checks": [{"name": "class_imbalance", "status": "warn", "message": "The training classes are imbalanced.",
                        "numbers": {}}]}
    d = diagnose(report([v], best="baseline", data=data))
    assert "Data check class_imbalance: The training classes are imbalanced." in d["summary"]
    recall = next(s for s in d["summary"] if "recalls" in s)
    assert "10% of 'eel'" in recall and "98% of 'cat'" in recall


def test_leakage_found_by_the_checks_reaches_the_summary():
    rng = np.random.default_rng(0)
    mk = lambda n: Split(rng.normal(size=(n, 3)).astype(np.float32), (np.arange(n) % 2).astype(np.int32))  # noqa: E731
    train, val, test = mk(100), mk(40), mk(40)
    leaky = Split(np.concatenate([train.x, test.x[:7]]), np.concatenate([train.y, test.y[:7]]))
    ds = Dataset(leaky, val, test, ["no", "yes"], ["a", "b", "c"], "test")
    r = report([variant("baseline", 0.9, 0.85, 0.85)], best="baseline")
    r["data"]["checks"] = run_checks(ds)
    assert any("7 of the 40 test rows also appear in the train split" in s for s in diagnose(r)["summary"])


def test_real_report():
    d = diagnose(json.loads(SAMPLE.read_text()))
    base = verdict(d, "baseline")
    assert base["verdict"] == "overfit" and base["val_loss_turned_up_at"] == 1
    assert d["summary"][0] == "The unregularized model memorizes the training set: train 0.98, test 0.82."
    assert d["summary"][1].startswith("dropout_early_stopping (the variant chosen on validation) cuts the gap from 0.16 to 0.07")
    assert d["majority_baseline"]["near_majority"] is False
    assert d["majority_baseline"]["majority_accuracy"] == pytest.approx(0.52)
    json.dumps(d, allow_nan=False)


def test_the_headline_says_whether_the_winners_test_difference_is_more_than_noise():
    report = json.loads(SAMPLE.read_text())
    report["comparisons"] = {"reference": "baseline", "alpha": 0.05, "variants": {
        report["best"]["variant"]: {"reference_only": 8, "variant_only": 5, "n": 100, "p_value": 0.58, "significant": False}}}
    summary = " ".join(diagnose(report)["summary"])
    assert "within what chance alone gives on these test rows: McNemar p = 0.58" in summary
    report["comparisons"]["variants"][report["best"]["variant"]].update(p_value=0.004, significant=True)
    assert "larger than chance alone gives" in " ".join(diagnose(report)["summary"])
    report["comparisons"]["reference"] = "someone else"
    assert "McNemar" not in " ".join(diagnose(report)["summary"])
