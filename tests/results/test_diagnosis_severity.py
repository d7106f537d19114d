"""The answer's worst finding comes first: a leak or rows shared between splits ("these scores are
not real"), then what makes accuracy misleading, then the fit, capacity, data size and hygiene."""

from __future__ import annotations

import numpy as np

from orchestrator.data.checks import run_checks
from orchestrator.data.dataset import Dataset, Split
from orchestrator.results import severity
from orchestrator.results.diagnosis import diagnose
from tests.data.mroz import load_mroz
from tests.results.test_diagnosis import curve, imbalanced_report, report, variant, verdict


def tiers_in_order(d: dict) -> bool:
    ranks = [severity.TIERS.index(f["tier"]) for f in d["findings"]]
    return ranks == sorted(ranks) and [f["sentence"] for f in d["findings"]] == d["summary"]


def test_a_label_computed_from_one_column_opens_the_answer_with_that_column(tmp_path):
    # Mroz as a new user runs it: every model scores near 1.00, and the old answer opened with "The
    # unregularized model generalizes", putting the leak seventh.
    dataset = load_mroz(tmp_path, planted=False)
    r = report([variant("baseline", 1.00, 0.99, 0.99), variant("l2", 0.99, 0.99, 0.98)], best="l2",
               data={**dataset.describe(), "checks": run_checks(dataset)})
    r["learning_curve"] = curve([(0.25, 113, 0.97), (0.5, 225, 0.98), (0.75, 338, 0.99), (1.0, 451, 0.99)], n_val=151)
    d = diagnose(r)
    assert d["summary"][0].startswith("These scores are not real: 'hoursw' and 'hearnw' alone predict the label "
                                      "(balanced accuracy 1.00 on validation), so they are almost certainly computed from it")
    assert d["findings"][0]["kind"] == "target_leakage" and d["findings"][0]["tier"] == "not_real"
    assert d["summary"][1].startswith("The unregularized model generalizes")
    assert not any("city=" in s for s in d["summary"])  # no alarm about gg-train's own one-hot columns
    assert tiers_in_order(d)


def test_rows_shared_between_splits_come_before_imbalance_and_the_fit():
    rng = np.random.default_rng(0)
    mk = lambda n: Split(rng.normal(size=(n, 3)).astype(np.float32), (np.arange(n) % 2).astype(np.int32))  # noqa: E731
    train, val, test = mk(100), mk(40), mk(40)
    leaky = Split(np.concatenate([train.x, test.x[:7]]), np.concatenate([train.y, test.y[:7]]))
    r = imbalanced_report()
    r["data"]["checks"] += [c for c in run_checks(Dataset(leaky, val, test, ["no", "yes"], ["a", "b", "c"], "test"))
                            if c["name"] == "duplicates_across_splits"]
    d = diagnose(r)
    assert d["summary"][0] == ("These scores are not real: 7 of the 40 test rows also appear in the train split, so those "
                               "rows measure memory rather than generalization; deduplicate before splitting and launch again.")
    assert d["summary"][1].startswith("The classes are imbalanced")
    assert tiers_in_order(d)


def test_capacity_data_size_and_hygiene_follow_the_fit_in_that_order():
    r = report([variant("baseline", 1.0, 0.80, 0.79), variant("l2", 0.85, 0.84, 0.83)], best="l2")
    r["best"].update(trial_id="t2", hparams={"hidden": [256, 128]})
    r["all_trials"] = [{"trial_id": "t1", "status": "completed", "val_accuracy": 0.83, "hparams": {"hidden": [128, 64]}},
                       {"trial_id": "t2", "status": "completed", "val_accuracy": 0.84, "hparams": {"hidden": [256, 128]}}]
    r["learning_curve"] = curve([(0.25, 50, 0.62), (0.5, 100, 0.70), (0.75, 150, 0.75), (1.0, 200, 0.84)], n_val=200)
    r["data"]["checks"] = [{"name": "redundant_features", "status": "warn", "message": "Two columns repeat.", "numbers": {}}]
    kinds = [f["kind"] for f in diagnose(r)["findings"]]
    assert kinds == ["fit", "fit", "fit", "capacity", "learning_curve", "selection_optimism", "redundant_features"]


def test_a_majority_only_model_under_imbalance_is_named_for_the_imbalance_never_underfit():
    r = imbalanced_report()
    for split in ("train", "val", "test"):  # the unweighted baseline never answers 'yes'
        r["variants"][0][split]["per_class"] = [{"recall": 1.0, "f1": 0.97, "precision": 0.95, "support": 190},
                                                {"recall": 0.0, "f1": 0.0, "precision": 0.0, "support": 10}]
        r["variants"][0][split]["balanced_accuracy"] = 0.5
    d = diagnose(r)
    base = verdict(d, "baseline")
    assert base["verdict"] == "majority only"
    assert "answers 'no' for almost every row" in base["reason"] and "imbalance" in base["reason"]
    assert "capacity" not in base["reason"].replace("not a lack of capacity", "")
    fit = next(s for s in d["summary"] if s.startswith("The unregularized model"))
    assert "answers the majority class for almost every row" in fit and "class imbalance" in fit
    assert not any("underfit" in s for s in d["summary"])
    assert verdict(d, "baseline_balanced")["verdict"] != "majority only"  # it finds 80% of 'yes'


def test_the_same_order_without_imbalance_keeps_underfit_for_a_model_that_learned_nothing():
    d = diagnose(report([variant("baseline", 0.52, 0.52, 0.52)], best="baseline"))
    assert verdict(d, "baseline")["verdict"] == "underfit"  # balanced classes: majority only is not the question

