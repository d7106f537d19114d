"""Would more data help? The learning curve's verdict, from documented rules (the one owner of them).

The winner's recipe and hyperparameters are retrained on fractions of the training split and on
all of it (`tuning.curve`: extra trials of the same experiment, one seed for every point, the
test split playing no part), each point evaluated in inference mode on its own training rows and
on the whole validation split. Every point, the 100% one included, is a single unselected
retrain: comparing the winner (the best of every trial on validation) with retrains would credit
more rows with what the selection did. `launch` stores the points in `report.json`'s
`learning_curve`; this module turns them into `diagnosis.learning_curve`.

The rule: look at the last doubling of the training rows (the point nearest half of the largest
point against the largest, normally the full split). More rows of the same kind should help when
validation accuracy rose by more than the noise of that difference: two standard errors of the
difference of two scores on the validation split, sqrt(p1(1 − p1)/n + p2(1 − p2)/n), at least
0.01. With 300 validation rows at 0.85 that is 0.06; at 1,000 rows, 0.03. Two standard errors of
the difference, not one of one score as before, because a single retrain's score also moves with
its seed and its subset. Measured (`scripts/curve_rule.py --reps 16`, 300 validation rows; share of
16 data sets where the rule says "more data helps"):

  case                                      old rule (winner, 1 SE)   retrain, 1 SE   this rule
  labels independent of the features              0.25                    0.25            0.00
  noisy boundary reached on half the rows         0.31                    0.31            0.06
  noise-free boundary, 30 features, 200 rows      1.00                    0.94            0.88

With imbalanced classes the score is balanced accuracy and `n` the effective rows K × the smallest
class's validation count.
"""

from __future__ import annotations

import math

from orchestrator.results.verdicts import num

CURVE_MIN_GAIN = 0.01  # below a point of accuracy, a rise is not worth collecting data for
CURVE_NOISE_SE = 2.0  # a rise counts above two standard errors of the difference of two validation scores
THRESHOLDS = {"curve_min_gain": CURVE_MIN_GAIN, "curve_noise_se": CURVE_NOISE_SE}


def _usable(points, key: str) -> list[dict]:
    rows = [p for p in points or [] if isinstance(p, dict) and num(p.get("fraction")) is not None
            and num(p.get(key)) is not None and num(p.get("n_train"))]
    return sorted(rows, key=lambda p: p["fraction"])


def difference_se(before: float, after: float, n_val: float | None) -> float:
    """The standard error of the difference of two scores on `n_val` validation rows, sampled apart."""
    if not n_val:
        return 0.0
    return math.sqrt((before * (1 - before) + after * (1 - after)) / n_val)


def diagnose_curve(curve: dict | None, key: str = "val_accuracy", n_val: float | None = None) -> dict | None:
    """{"points", "more_data_helps", "gain", "tolerance", "reason"}; None without a curve, and
    more_data_helps None when fewer than two points finished. `n_val`: the rows behind one
    validation score (default: the curve's validation rows)."""
    if not isinstance(curve, dict):
        return None
    points = _usable(curve.get("points"), key)
    out = {"points": points, "more_data_helps": None, "gain": None, "tolerance": None, "judged_on": key,
           "n_val": curve.get("n_val"), "variant": curve.get("variant"), "reason": None}
    if len(points) < 2:
        out["reason"] = "Would more data help? The learning curve has fewer than two points, so it cannot say."
        return out
    last = points[-1]
    half = min(points[:-1], key=lambda p: abs(p["n_train"] - last["n_train"] / 2))
    gain = last[key] - half[key]
    n_val = n_val or num(curve.get("n_val"))
    tolerance = max(CURVE_MIN_GAIN, CURVE_NOISE_SE * difference_se(half[key], last[key], n_val))
    helps = gain > tolerance
    word = key.replace("val_", "validation ").replace("_", " ")
    seen = (f"{word} {half[key]:.2f} at {int(half['n_train'])} training rows, "
            f"{last[key]:.2f} at {int(last['n_train'])}: {gain:+.2f}")
    out.update(more_data_helps=bool(helps), gain=gain, tolerance=tolerance)
    if helps:
        out["reason"] = (f"Would more data help? Yes: the learning curve still climbs ({seen}, more than the "
                         f"±{tolerance:.2f} noise of two scores on the validation split), so more labelled rows of the same "
                         "kind should raise it further.")
    else:
        out["reason"] = (f"Would more data help? Probably not: the learning curve has levelled off ({seen}, within the "
                         f"±{tolerance:.2f} noise of two scores on the validation split); better features or cleaner labels "
                         "would help more than more rows of the same kind.")
    return out
