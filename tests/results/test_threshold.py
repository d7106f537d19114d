"""The exported decision threshold: 0.5 unless a cut tuned out of fold on validation beats it beyond
its noise; always about the minority class, and reported beside 0.5."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.results.threshold import choose, decision, f1_gain, metrics_at, tune


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
    assert d["class"] == 1 and d["value"] < 0.5 and d["exported"] == "tuned" and d["candidate"]["gain"] > d["candidate"]["noise"]
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


def beta_scores(n_pos: int, n_neg: int, seed: int):
    """A class-weighted model's minority probabilities: positives ~ Beta(2, 1), negatives ~ Beta(1, 3).
    On the population 0.5 gives the minority F1 0.32 and 0.95 only 0.18."""
    rng = np.random.default_rng(seed)
    return np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)], np.r_[rng.beta(2, 1, n_pos), rng.beta(1, 3, n_neg)]


def test_a_peak_on_a_few_validation_positives_is_not_exported():
    """Issue 26: the cut with the best F1 on 24 validation positives sits at 0.95 (precision 1.00,
    recall 0.29 there: one draw in 3,000 of this population) and loses on new rows. The export keeps
    0.5, whose F1 on new rows is then the same as 0.5's, not 0.14 below it."""
    y_val, s_val = beta_scores(24, 576, seed=1867)
    y_new, s_new = beta_scores(4000, 96000, seed=123)
    peak = tune(y_val, s_val, 1)
    at_0_5 = metrics_at(y_new, s_new, 1, 0.5)["f1"]
    assert peak > 0.94 and metrics_at(y_val, s_val, 1, peak)["precision"] == 1.0  # the premise: the old rule's cut
    assert metrics_at(y_new, s_new, 1, peak)["f1"] < at_0_5 - 0.1
    d = decision(y_val, np.c_[1 - s_val, s_val], y_new, np.c_[1 - s_new, s_new], train_counts=[1900, 100])
    _, noise, _, _ = f1_gain(y_new == 1, (s_new >= d["value"])[None, :], s_new >= 0.5)
    assert d["tuned"]["test"]["f1"] >= at_0_5 - noise
    assert d["value"] == 0.5 and d["exported"] == "0.5" and d["tuned"] == d["at_0_5"]
    candidate = d["candidate"]
    assert candidate["gain"] <= candidate["noise"] and "within its noise" in d["why"]
    assert {"value", "gain", "noise", "f1_out_of_fold", "f1_at_0_5", "val", "test"} <= set(candidate)


def test_each_validation_row_is_called_by_a_cut_chosen_without_it():
    """Out of fold: a cut that separates exactly the validation rows it was tuned on gains nothing
    on the rows it did not see, so the gain is not the in-sample one (which is large here)."""
    y_val, s_val = beta_scores(24, 576, seed=1867)
    in_sample = metrics_at(y_val, s_val, 1, tune(y_val, s_val, 1))["f1"] - metrics_at(y_val, s_val, 1, 0.5)["f1"]
    chosen = choose(y_val, s_val, 1)["candidate"]
    assert chosen["gain"] < in_sample - 0.05
    assert chosen["folds"] == 5 and chosen["f1_at_0_5"] == pytest.approx(metrics_at(y_val, s_val, 1, 0.5)["f1"])


def test_too_few_validation_positives_keep_0_5():
    y = np.array([0] * 50 + [1])
    d = choose(y, np.linspace(0, 1, 51), 1)
    assert d["value"] == 0.5 and d["candidate"] is None and "too few" in d["why"]


def test_the_noise_is_the_spread_of_the_f1_difference_over_resamples():
    """Identical calls differ by nothing; calls that differ on a handful of rows have a noise > 0
    that shrinks as the same pattern repeats over more rows."""
    hits = np.r_[np.ones(20, bool), np.zeros(180, bool)]
    base = np.r_[np.ones(10, bool), np.zeros(10, bool), np.ones(10, bool), np.zeros(170, bool)]
    assert f1_gain(hits, base[None, :], base)[:2] == (0.0, 0.0)
    better = base.copy()
    better[10:15] = True
    gain, noise, f1_better, f1_base = f1_gain(hits, better[None, :], base)
    assert gain == pytest.approx(f1_better - f1_base) and gain > 0 and noise > 0
    tiled = f1_gain(np.tile(hits, 9), np.tile(better, 9)[None, :], np.tile(base, 9))
    assert tiled[0] == pytest.approx(gain) and tiled[1] < noise


def test_the_headline_sentence_says_which_threshold_was_exported_and_why():
    from orchestrator.results.threshold import sentences

    y_val, s_val = beta_scores(24, 576, seed=1867)
    kept = decision(y_val, np.c_[1 - s_val, s_val], y_val, np.c_[1 - s_val, s_val], [1900, 100], class_weighted=True)
    [said] = sentences(kept, 1, "default")
    assert said.startswith("best/metrics.json keeps the threshold at 0.5 (for a class-weighted model")
    assert f"({kept['candidate']['value']:.2f})" in said and f"within its noise (± {kept['candidate']['noise']:.2f})" in said
    y, p = scores(600, 0.05, seed=0)
    tuned = decision(y, p, y, p, [950, 50])
    [said] = sentences(tuned, 1, "default")
    assert said.startswith(f"At the threshold tuned on validation ({tuned['value']:.2f} instead of 0.5)") and "noise ±" in said
    assert sentences(tuned, 0, "other") == [] and sentences(None, 1, "default") == []
