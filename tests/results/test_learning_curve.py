"""The learning curve's rule (`results/learning_curve.py`): a rise counts only beyond the noise of
the difference of two validation scores, and the sentence gives the numbers it judged."""

from __future__ import annotations

import math

import pytest

from orchestrator.results.learning_curve import CURVE_MIN_GAIN, diagnose_curve


def curve(points: list[tuple[float, int, float]], n_val: int) -> dict:
    return {"variant": "l2", "n_val": n_val, "points": [
        {"fraction": f, "n_train": n, "train_accuracy": 0.9, "val_accuracy": a} for f, n, a in points]}


def test_a_rise_within_the_noise_of_two_scores_is_not_a_climb():
    # 0.80 → 0.83 on 300 validation rows: one standard error of one score is 0.022, so the old
    # one-SE bar called this a climb; the difference of two scores has an SE of 0.032.
    found = diagnose_curve(curve([(0.25, 100, 0.74), (0.5, 200, 0.80), (1.0, 400, 0.83)], n_val=300))
    assert found["gain"] == pytest.approx(0.03)
    assert found["tolerance"] == pytest.approx(2 * math.sqrt((0.8 * 0.2 + 0.83 * 0.17) / 300))
    assert found["more_data_helps"] is False and "levelled off" in found["reason"] and "±0.06" in found["reason"]


def test_a_rise_beyond_two_standard_errors_of_the_difference_is_a_climb():
    found = diagnose_curve(curve([(0.5, 200, 0.72), (1.0, 400, 0.81)], n_val=300))
    assert found["more_data_helps"] is True and found["reason"].startswith("Would more data help? Yes")
    assert "validation accuracy 0.72 at 200 training rows, 0.81 at 400: +0.09" in found["reason"]


def test_on_a_large_validation_split_the_floor_of_one_point_holds():
    found = diagnose_curve(curve([(0.5, 50_000, 0.995), (1.0, 100_000, 0.999)], n_val=100_000))
    assert found["tolerance"] == CURVE_MIN_GAIN and found["more_data_helps"] is False


def test_the_last_doubling_is_judged_against_the_largest_point_even_when_the_full_split_failed():
    # The 100% retrain failed (not in the points): the largest point left is judged against its half.
    found = diagnose_curve(curve([(0.25, 100, 0.60), (0.5, 200, 0.70), (0.75, 300, 0.71)], n_val=1000))
    assert found["gain"] == pytest.approx(0.11) and found["more_data_helps"] is True
    assert "0.60 at 100 training rows, 0.71 at 300" in found["reason"]
