"""output_scale: raw logits read as probabilities.

A last layer without activation, trained with `from_logits=True`, gives scores anywhere on the real
line; read at 0.5 (one unit) they put the cut in the wrong place, and their "probabilities" mean
nothing. The natural cut is the one the loss was trained for: sigmoid (0.5 after it, 0 before)
or softmax. Confirmed by the outputs alone; the accuracy regained is measured at that cut.
"""

from __future__ import annotations

import numpy as np

from orchestrator.checkup import scores
from orchestrator.checkup.exam import Exam, finding

RULE = ("confirmed when the model's outputs on the test rows (and training rows, if given) are not probabilities: "
        "any value outside [0, 1], or several units whose rows do not sum to 1; the accuracy regained is the test "
        "accuracy at the natural cut (sigmoid or softmax of the outputs) minus the accuracy as read")


def _range(low: float, high: float) -> str:
    """'from 0.000641 to 1', or 'all within 1e-06 of 1' when every output sits at one value (a
    saturated sigmoid on inputs it was not trained on reads "from 1 to 1" otherwise)."""
    if high - low < 1e-3:
        return f"all between {low:.6g} and {high:.6g}: the model answers the same for every row"
    return f"from {low:.3g} to {high:.3g}"


def output_scale(exam: Exam) -> dict:
    raws = [exam.raw(s) for s in ("train", "test") if exam.has(s)]
    low, high = min(float(r.min()) for r in raws), max(float(r.max()) for r in raws)
    sums = [float(np.abs(r.sum(axis=1) - 1).max()) for r in raws] if raws[0].shape[1] > 1 else [0.0]
    numbers = {"output_min": low, "output_max": high, "max_row_sum_error": max(sums),
               "output_activation": exam.model.output_activation}
    if all(scores.is_probability(r) for r in raws):
        return finding("output_scale", "ruled_out", f"The outputs are probabilities ({_range(low, high)}).", RULE, **numbers)
    as_read = exam.accuracy("test")
    at_cut = exam.accuracy("test", read=scores.natural)
    exam.read = scores.natural
    missing = "sigmoid" if raws[0].shape[1] == 1 else "softmax"
    return finding("output_scale", "confirmed",
                   f"The outputs are not probabilities (they range from {low:.3g} to {high:.3g}): the last layer has no "
                   f"{missing}. Read through a {missing}, test accuracy is {at_cut:.3f} instead of {as_read:.3f}.", RULE,
                   fix=f"append a {missing} activation to the model (or apply it to the outputs) before reading them as probabilities",
                   regained=at_cut - as_read, test_accuracy_as_read=as_read, test_accuracy_at_natural_cut=at_cut,
                   missing_activation=missing, **numbers)
