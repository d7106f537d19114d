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
    # The winner fits its training rows only to 0.76 where the baseline fits them to 1.00: label noise.
    assert d["summary"][0].startswith("The unregularized model memorizes the training set, label noise included: "
                                      "train 1.00, test 0.67. The regularized models level off at about 0.75")
    assert d["noise_ceiling"]["estimated_ceiling"] == pytest.approx(0.75) and d["noise_ceiling"]["memorized_by"] == "baseline"
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


def test_without_a_baseline_the_variant_compared_with_the_winner_is_chosen_on_validation():
    # l2 has the largest train−validation gap; dropout the largest train−test gap. Choosing the
    # reference by its test gap would be a choice made on test, and flatter the winner ("cuts the
    # gap from 0.35"): the reference is l2, and the winner's gain is measured against it.
    d = diagnose(report([variant("l2", 0.95, 0.66, 0.75), variant("dropout", 0.95, 0.75, 0.60),
                         variant("early_stopping", 0.80, 0.76, 0.75)], best="early_stopping"))
    assert d["summary"][0].startswith("No baseline ran; l2, the variant with the largest train−validation gap, overfits")
    assert d["summary"][1] == ("early_stopping (the variant chosen on validation) cuts the gap from 0.20 to 0.05 "
                               "and keeps test accuracy at 0.75.")


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
    assert d["summary"][0].startswith("The unregularized model memorizes the training set, label noise included: "
                                      "train 0.98, test 0.82.")
    assert d["summary"][1].startswith("dropout_early_stopping (the variant chosen on validation) cuts the gap from 0.16 to 0.07")
    assert d["majority_baseline"]["near_majority"] is False
    assert d["majority_baseline"]["majority_accuracy"] == pytest.approx(0.52)
    json.dumps(d, allow_nan=False)


def test_the_headline_says_whether_the_winners_test_difference_is_more_than_noise():
    report = json.loads(SAMPLE.read_text())
    report["comparisons"] = {"reference": "baseline", "alpha": 0.05, "variants": {
        report["best"]["variant"]: {"reference_only": 8, "variant_only": 5, "n": 100, "p_value": 0.58, "significant": False}}}
    summary = " ".join(diagnose(report)["summary"])
    assert "(3 fewer test row(s) of 100 right than the baseline, within what chance alone gives: McNemar p = 0.58)" in summary
    report["comparisons"]["variants"][report["best"]["variant"]].update(p_value=0.004, significant=True)
    assert "larger than chance alone gives" in " ".join(diagnose(report)["summary"])
    report["comparisons"]["reference"] = "someone else"
    assert "McNemar" not in " ".join(diagnose(report)["summary"])


def test_the_label_noise_story_names_the_variant_that_memorizes_not_a_baseline_that_does_not():
    # The baseline fits its training rows to 0.93 (a good fit); dropout, oddly, memorizes them.
    d = diagnose(report([variant("baseline", 0.93, 0.90, 0.89), variant("dropout", 1.00, 0.80, 0.79),
                         variant("l2", 0.85, 0.86, 0.85)], best="l2"))
    assert d["noise_ceiling"]["memorized_by"] == "dropout"
    assert not any("The unregularized model memorizes" in s for s in d["summary"])
    assert d["summary"][0].startswith("The unregularized model generalizes: train 0.93, test 0.89 (gap 0.04), so "
                                      "regularization has little to fix. dropout memorizes the training set, label noise "
                                      "included: train 1.00, test 0.79. The models that do not memorize level off at about 0.90")


def test_a_winner_that_fits_its_training_rows_gets_no_label_noise_story():
    d = diagnose(report([variant("baseline", 1.00, 0.86, 0.85), variant("l2", 0.97, 0.93, 0.92)], best="l2"))
    assert d["summary"][0] == "The unregularized model memorizes the training set: train 1.00, test 0.85."
    assert d["noise_ceiling"] is None


@pytest.mark.parametrize("noise", [0.10, 0.20])
def test_no_variant_whose_sibling_memorizes_is_called_underfit(noise):
    # Small data, flipped labels: the regularized variants fit their training rows about as well as the
    # labels allow (1 - noise), the unregularized one memorizes them. Capacity is not what is missing.
    ceiling = 1 - noise
    r = report([variant("baseline", 1.00, ceiling - 0.08, ceiling - 0.09),
                variant("dropout", 0.68, 0.67, 0.68),  # over-regularized: would be "underfit" on its own
                variant("early_stopping", ceiling - 0.06, ceiling - 0.05, ceiling - 0.06)], best="early_stopping")
    d = diagnose(r)
    assert verdict(d, "dropout")["verdict"] == "noise ceiling"
    assert "baseline fits the same training labels to 1.00" in verdict(d, "dropout")["reason"]
    assert not any(v["verdict"] == "underfit" for v in d["verdicts"])
    assert "label noise" in d["summary"][0]
    assert not any("more capacity" in s and "needs" in s for s in d["summary"])


def test_underfit_stays_underfit_when_nothing_in_the_experiment_fits_the_training_set():
    d = diagnose(report([variant("baseline", 0.62, 0.61, 0.60), variant("l2", 0.60, 0.60, 0.60)], best="baseline"))
    assert {v["verdict"] for v in d["verdicts"]} == {"underfit"}
    assert "needs more capacity" in d["summary"][0]


def imbalanced_report() -> dict:
    """5% positives: the unweighted baseline answers 'no' almost always; its weighted twin finds them."""
    def entry(name, kind, acc, bal, recall, f1, train_bal):
        def split(a, b, r, f):
            return {"accuracy": a, "balanced_accuracy": b, "loss": 0.2, "n": 200, "majority_accuracy": 0.95,
                    "per_class": [{"recall": 0.99, "f1": 0.97, "precision": 0.96, "support": 190},
                                  {"recall": r, "f1": f, "precision": f, "support": 10}]}
        return {"variant": name, "kind": kind, "status": "completed", "train": split(0.97, train_bal, 0.5, 0.5),
                "val": split(acc, bal, recall, f1), "test": split(acc, bal, recall, f1)}

    base = entry("baseline", "baseline", 0.955, 0.55, 0.10, 0.17, 0.60)
    twin = entry("baseline_balanced", "baseline", 0.90, 0.84, 0.80, 0.45, 0.88)
    data = {"class_counts": {"train": [570, 30], "val": [190, 10], "test": [190, 10]}, "class_names": ["no", "yes"],
            "n_val": 200, "n_test": 200,
            "checks": [{"name": "class_imbalance", "status": "warn", "message": "The training classes are imbalanced."}]}
    r = report([base, twin], best="baseline_balanced", data=data)
    r["selection"] = {"metric": "val_pr_auc", "mode": "max"}
    r["best"]["threshold"] = {"class": 1, "value": 0.71, "tuned": {"test": {"f1": 0.6, "recall": 0.7, "precision": 0.52}}}
    return r


def test_on_imbalanced_data_the_headline_names_imbalance_and_the_verdicts_judge_balanced_accuracy():
    d = diagnose(imbalanced_report())
    assert d["summary"][0].startswith("The classes are imbalanced ('yes' is only 5% of the training rows), so accuracy "
                                      "flatters: the unregularized model scores accuracy 0.95 on test, yet of the 'yes' rows "
                                      "it finds 10% (F1 0.17")
    assert "PR-AUC" in d["summary"][0]
    assert d["summary"][1].startswith("baseline_balanced (the variant chosen on validation) finds 80% (F1 0.45")
    assert "threshold tuned on validation (0.71 instead of 0.5)" in d["summary"][2] and "F1 0.60" in d["summary"][2]
    base = verdict(d, "baseline")
    assert base["judged_on"] == "balanced_accuracy" and base["verdict"] == "underfit"
    assert "class weighting" in base["reason"]
    assert not any("more capacity" in s and "needs" in s for s in d["summary"])
    # 0.90 accuracy is below the 0.95 majority, but balanced accuracy 0.84 is far above chance: no false alarm.
    assert d["majority_baseline"]["warning"] is None and d["majority_baseline"]["judged_on"] == "balanced_accuracy"


def test_capacity_says_when_a_smaller_network_matches_the_winner():
    r = report([variant("baseline", 1.0, 0.80, 0.79), variant("l2", 0.85, 0.84, 0.83)], best="l2")
    r["best"].update(trial_id="t2", hparams={"hidden": [256, 128]})
    r["all_trials"] = [
        {"trial_id": "t1", "variant": "l2", "status": "completed", "val_accuracy": 0.83, "hparams": {"hidden": [128, 64]}},
        {"trial_id": "t2", "variant": "l2", "status": "completed", "val_accuracy": 0.84, "hparams": {"hidden": [256, 128]}},
        {"trial_id": "t3", "variant": "l2", "status": "errored", "val_accuracy": 0.99, "hparams": {"hidden": [32]}},
    ]
    d = diagnose(r)
    assert [s["hidden"] for s in d["capacity"]["sizes"]] == [[128, 64], [256, 128]]  # the errored trial is no evidence
    assert "a smaller network (hidden 128-64) matches the winner's hidden 256-128" in d["capacity"]["message"]
    r["all_trials"][0]["val_accuracy"] = 0.60
    assert "beats the smaller networks its recipe finished with" in diagnose(r)["capacity"]["message"]


def test_capacity_says_when_the_largest_network_still_underfits():
    r = report([variant("baseline", 0.62, 0.61, 0.60)], best="baseline")
    r["best"].update(trial_id="t2", hparams={"hidden": [256, 128]})
    r["all_trials"] = [{"trial_id": "t1", "variant": "baseline", "status": "completed", "val_accuracy": 0.45, "hparams": {"hidden": [128, 64]}},
                       {"trial_id": "t2", "variant": "baseline", "status": "completed", "val_accuracy": 0.61, "hparams": {"hidden": [256, 128]}}]
    d = diagnose(r)
    assert "the largest network searched (hidden 256-128) is the winner and still underfits" in d["capacity"]["message"]
    # A larger rung drawn by another recipe (or cut by ASHA): not "widen the ladder", but "finish it" (found in review).
    r["all_trials"].append({"trial_id": "t3", "variant": "l2", "status": "completed", "val_accuracy": 0.5,
                            "hparams": {"hidden": [512, 256]}})
    message = diagnose(r)["capacity"]["message"]
    assert "larger ones were searched (up to hidden 512-256) but not finished with this recipe" in message
    assert "search wider" not in message


def test_capacity_of_the_cnn_family_is_its_filters_depth_and_kernel_size():
    r = report([variant("baseline", 1.0, 0.97, 0.96), variant("l2", 0.99, 0.975, 0.97)], best="l2")
    big = {"hidden": [128, 64], "filters": 32, "depth": 2, "kernel_size": 5}
    r["best"].update(trial_id="t2", hparams=big)
    r["all_trials"] = [
        {"trial_id": "t1", "variant": "l2", "status": "completed", "val_accuracy": 0.972, "hparams": {**big, "filters": 16, "kernel_size": 3}},
        {"trial_id": "t2", "variant": "l2", "status": "completed", "val_accuracy": 0.975, "hparams": big},
    ]
    d = diagnose(r)
    assert d["capacity"]["winner"] == {"filters": 32, "depth": 2, "kernel_size": 5}
    assert "a smaller network (filters 16, depth 2, kernel 3×3) matches the winner's filters 32, depth 2, kernel 5×5" in d["capacity"]["message"]


def curve(points: list[tuple[float, int, float]], n_val: int) -> dict:
    return {"variant": "l2", "n_val": n_val, "points": [
        {"fraction": f, "n_train": n, "train_accuracy": 0.9, "val_accuracy": a, "val_loss": 0.4} for f, n, a in points]}


def test_the_learning_curve_says_more_data_helps_while_validation_still_climbs():
    r = report([variant("l2", 0.85, 0.84, 0.83)], best="l2")
    r["learning_curve"] = curve([(0.25, 50, 0.62), (0.5, 100, 0.70), (0.75, 150, 0.75), (1.0, 200, 0.80)], n_val=200)
    d = diagnose(r)
    assert d["learning_curve"]["more_data_helps"] is True and d["learning_curve"]["gain"] == pytest.approx(0.10)
    assert d["learning_curve"]["reason"] in d["summary"] and d["learning_curve"]["reason"].startswith("Would more data help? Yes")
    r["learning_curve"] = curve([(0.25, 1000, 0.70), (0.5, 2000, 0.72), (0.75, 3000, 0.715), (1.0, 4000, 0.725)], n_val=1000)
    levelled = diagnose(r)["learning_curve"]
    assert levelled["more_data_helps"] is False and "levelled off" in levelled["reason"]
    r["learning_curve"] = curve([(1.0, 4000, 0.725)], n_val=1000)
    assert diagnose(r)["learning_curve"]["more_data_helps"] is None
