"""The decision threshold is tuned on validation for the minority class, and reported beside 0.5."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.results.threshold import decision, metrics_at, tune


def scores(n: int, share: float, seed: int, minority: int = 1):
    """A model that ranks the minority well but never gives it 0.5: the argmax ignores it."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < share).astype(int)
    p_minority = np.clip(0.05 + 0.25 * y + rng.normal(scale=0.06, size=n), 0.0, 0.49)
    if minority == 0:
        y = 1 - y
    proba = np.column_stack([1 - p_minority, p_minority]) if minority == 1 else np.column_stack([p_minority, 1 - p_minority])
    return y, proba


def test_the_tuned_threshold_finds_a_minority_that_argmax_at_0_5_never_names():
    y_val, p_val = scores(600, 0.05, seed=0)
    y_test, p_test = scores(600, 0.05, seed=1)
    d = decision(y_val, p_val, y_test, p_test, train_counts=[950, 50])
    assert d["class"] == 1 and d["value"] < 0.5
    assert d["at_0_5"]["test"]["recall"] == 0.0 and d["at_0_5"]["test"]["f1"] == 0.0
    assert d["tuned"]["test"]["f1"] > 0.7  # chosen on validation, it holds on test
    assert "validation" in d["rule"]


def test_the_threshold_is_about_the_minority_even_when_it_is_class_0():
    y_val, p_val = scores(600, 0.05, seed=2, minority=0)
    y_test, p_test = scores(600, 0.05, seed=3, minority=0)
    d = decision(y_val, p_val, y_test, p_test, train_counts=[50, 950])
    assert d["class"] == 0 and d["tuned"]["test"]["f1"] > 0.7


def test_tuning_maximizes_validation_f1_and_multiclass_has_no_threshold():
    y = np.array([0, 0, 0, 1, 1, 0])
    s = np.array([0.1, 0.2, 0.35, 0.3, 0.4, 0.05])
    cutoff = tune(y, s, 1)
    assert metrics_at(y, s, 1, cutoff)["f1"] == pytest.approx(0.8)  # 0.3 catches both positives, one false alarm
    assert decision(np.array([0, 1, 2]), np.eye(3), np.array([0, 1, 2]), np.eye(3), [5, 5, 5]) is None
    assert tune(np.zeros(4, dtype=int), np.linspace(0, 1, 4), 1) == 0.5  # no positives on validation: leave 0.5
