"""Selection uses validation metrics only; metrics are scikit-learn's, on inference-mode outputs."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.results.metrics import classification_metrics
from orchestrator.results.selection import select
from orchestrator.tuning.outcomes import TrialOutcome


def outcome(tid, variant, status, val_loss, **metrics):
    return TrialOutcome(trial_id=tid, variant=variant, kind=variant, hparams={}, max_epochs=10, status=status,
                        metrics={"val_loss": val_loss, "epoch": 10, **metrics}, checkpoint=f"/ckpt/{tid}")


def test_best_per_variant_and_overall_on_validation_loss():
    trials = [outcome("a1", "a", "completed", 0.50), outcome("a2", "a", "completed", 0.40),
              outcome("b1", "b", "early_stopped", 0.30), outcome("b2", "b", "completed", 0.35)]
    per_variant, best = select(trials, "val_loss", "min")
    assert {v: o.trial_id for v, o in per_variant.items()} == {"a": "a2", "b": "b1"}
    assert best.trial_id == "b1"


def test_max_mode_for_accuracy():
    trials = [outcome("a1", "a", "completed", 0.5, val_accuracy=0.7), outcome("a2", "a", "completed", 0.6, val_accuracy=0.8)]
    assert select(trials, "val_accuracy", "max")[1].trial_id == "a2"


def test_errored_and_diverged_trials_never_win():
    trials = [outcome("a1", "a", "errored", 0.01), outcome("a2", "a", "diverged", 0.02),
              outcome("a3", "a", "completed", float("nan")), outcome("a4", "a", "completed", 0.9)]
    assert select(trials, "val_loss", "min")[1].trial_id == "a4"


def test_a_trial_that_finished_its_recipe_beats_a_truncated_one():
    # ASHA stopped a1 at epoch 5, before the variant overfits; it must not win on its early val loss.
    trials = [outcome("a1", "a", "stopped_by_asha", 0.30), outcome("a2", "a", "completed", 0.45)]
    assert select(trials, "val_loss", "min")[0]["a"].trial_id == "a2"
    only_stopped = [outcome("b1", "b", "stopped_by_asha", 0.30), outcome("b2", "b", "stopped_by_asha", 0.20)]
    assert select(only_stopped, "val_loss", "min")[0]["b"].trial_id == "b2"


def test_a_variant_with_only_truncated_trials_does_not_beat_one_that_finished():
    """Across variants too: a variant represented only by an ASHA-cut trial loses to a finished one."""
    trials = [outcome("a1", "a", "stopped_by_asha", 0.20), outcome("b1", "b", "completed", 0.30)]
    per_variant, best = select(trials, "val_loss", "min")
    assert set(per_variant) == {"a", "b"} and best.trial_id == "b1"
    assert select([outcome("a1", "a", "stopped_by_asha", 0.20)], "val_loss", "min")[1].trial_id == "a1"


def test_no_eligible_trial_means_no_best():
    assert select([outcome("a1", "a", "errored", 0.1)], "val_loss", "min") == ({}, None)


def test_binary_metrics_match_hand_computation_for_the_minority_class():
    """Class 0 is the minority here (2 rows of 5): precision, recall, F1 and PR-AUC are its own, not
    those of class 1, the class that sorts second."""
    y = np.array([0, 0, 1, 1, 1])
    proba1 = np.array([0.1, 0.6, 0.8, 0.4, 0.9])
    m = classification_metrics(y, np.column_stack([1 - proba1, proba1]), 2)
    # predictions 0 1 1 0 1; class 0: tp=1 (row 1) fp=1 (row 4) fn=1 (row 2)
    assert m["positive_class"] == 0
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["precision"] == pytest.approx(1 / 2)
    assert m["recall"] == pytest.approx(1 / 2)
    assert m["f1"] == pytest.approx(1 / 2)
    # class 0 ranked by its probability: 0.9 (yes), 0.6 (no), 0.4 (yes) → AP = 1·½ + ⅔·½
    assert m["pr_auc"] == pytest.approx(1 / 2 + 1 / 3)
    expected_loss = -np.mean(np.log([0.9, 0.4, 0.8, 0.4, 0.9]))
    assert m["loss"] == pytest.approx(expected_loss, rel=1e-6)
    assert m["roc_auc"] == pytest.approx(5 / 6)


def test_a_model_that_always_says_legit_scores_f1_zero_for_fraud():
    """Labels `fraud`/`legit` (class 0 is `fraud`, the 10% minority of training): a model that never
    says fraud has F1 0, not legit's 0.95; the training counts name the class, not the split's."""
    y = np.array([0] * 10 + [1] * 90)
    always_legit = np.tile([0.1, 0.9], (100, 1))
    assert classification_metrics(y, always_legit, 2)["f1"] == 0.0
    m = classification_metrics(y, always_legit, 2, train_counts=[60, 540])
    assert (m["positive_class"], m["f1"], m["recall"], m["precision"]) == (0, 0.0, 0.0, 0.0)
    assert m["per_class"][1]["f1"] == pytest.approx(2 * 0.9 / 1.9)  # legit's own F1 stays in per_class
    assert m["majority_accuracy"] == pytest.approx(0.9)
    rare_in_this_split = np.array([0] * 60 + [1] * 40)  # fewer legit than fraud here; training still says fraud is rare
    assert classification_metrics(rare_in_this_split, np.tile([0.1, 0.9], (100, 1)), 2, train_counts=[60, 540])["positive_class"] == 0


def test_multiclass_metrics_are_macro_averaged():
    y = np.array([0, 1, 2, 2])
    proba = np.eye(3)[[0, 1, 1, 2]] * 0.9 + 0.1 / 3
    m = classification_metrics(y, proba, 3)
    assert m["accuracy"] == pytest.approx(0.75)
    assert m["recall"] == pytest.approx((1 + 1 + 0.5) / 3)
    assert "roc_auc" in m


class AshaStops(Exception):
    pass


def test_an_early_stopping_trial_that_asha_stops_hands_over_its_best_epoch(tmp_path):
    """ASHA stops the trial mid-recipe: it is judged and evaluated on early stopping's best epoch, not
    on the weights of the epoch where it was stopped."""
    from orchestrator.data.dataset import Dataset, Split
    from orchestrator.results.evaluation import evaluate_checkpoint, handed_over
    from orchestrator.train import checkpoint
    from orchestrator.train.loop import run_trial
    from orchestrator.train.spec import TrialData, TrialSetup
    from tests.train.helpers import FakeReporter, spec

    class StoppedAt(FakeReporter):
        def report(self, metrics, checkpoint_dir):
            super().report(metrics, checkpoint_dir)
            if metrics["epoch"] == 16:
                raise AshaStops

    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 6)).astype(np.float32)
    y = ((x[:, 0] + rng.normal(scale=1.5, size=160)) > 0).astype(np.int32)  # noisy: a wide net overfits fast
    setup = TrialSetup(n_classes=2, mean=x[:100].mean(0), variance=x[:100].var(0), checkpoint_every=1)
    reporter = StoppedAt(tmp_path)
    with pytest.raises(AshaStops):
        run_trial(spec(kind="early_stopping", patience=100, epochs=40, learning_rate=0.05, hidden=[128, 64]),
                  setup, TrialData(x[:100], y[:100], x[100:], y[100:]), reporter)
    last_metrics, last_dir = reporter.reports[-1]
    history = [m for m, _ in reporter.reports]
    best = min(history, key=lambda m: m["val_loss"])
    assert best["epoch"] < 16 and best["val_loss"] < last_metrics["val_loss"]  # the premise: val loss turned up
    settled = handed_over(TrialOutcome(trial_id="t", variant="es", kind="early_stopping", hparams={}, max_epochs=40,
                                       status="stopped_by_asha", metrics=last_metrics, checkpoint=str(last_dir)))
    assert settled.metrics["val_loss"] == pytest.approx(best["val_loss"]) and settled.metrics["best_epoch"] == best["epoch"]
    assert settled.epochs == 16
    split = Split(x[100:], y[100:])
    dataset = Dataset(Split(x[:100], y[:100]), split, split, ["0", "1"], [f"x{i}" for i in range(6)], "test")
    _, val, _, _, _ = evaluate_checkpoint(str(last_dir), dataset)
    best_dir = reporter.reports[best["epoch"] - 1][1]
    _, val_at_best, _, _, _ = evaluate_checkpoint(str(best_dir), dataset)
    assert val["loss"] == pytest.approx(val_at_best["loss"], rel=1e-5)
    assert checkpoint.handover_epoch(best_dir) is None  # that checkpoint's own weights are its best
