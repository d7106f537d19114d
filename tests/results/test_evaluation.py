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


def test_no_eligible_trial_means_no_best():
    assert select([outcome("a1", "a", "errored", 0.1)], "val_loss", "min") == ({}, None)


def test_binary_metrics_match_hand_computation():
    y = np.array([0, 0, 1, 1, 1])
    proba1 = np.array([0.1, 0.6, 0.8, 0.4, 0.9])
    m = classification_metrics(y, np.column_stack([1 - proba1, proba1]), 2)
    # predictions 0 1 1 0 1: tp=2 fp=1 fn=1
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    expected_loss = -np.mean(np.log([0.9, 0.4, 0.8, 0.4, 0.9]))
    assert m["loss"] == pytest.approx(expected_loss, rel=1e-6)
    assert m["roc_auc"] == pytest.approx(5 / 6)


def test_multiclass_metrics_are_macro_averaged():
    y = np.array([0, 1, 2, 2])
    proba = np.eye(3)[[0, 1, 1, 2]] * 0.9 + 0.1 / 3
    m = classification_metrics(y, proba, 3)
    assert m["accuracy"] == pytest.approx(0.75)
    assert m["recall"] == pytest.approx((1 + 1 + 0.5) / 3)
    assert "roc_auc" in m
