"""preprocessing_mismatch: a transform applied before training but not when the model is used.

Users standardize columns or divide pixels by 255 outside the model, save the model, and later feed
it raw values. The model then scores poorly on its *own training rows* as given, and far better on
them after the transform. Each candidate is fitted on the training rows only (statistics per column,
or per channel for images: every axis but the last) and chosen on them; test rows only measure what
the chosen one regains.
"""

from __future__ import annotations

import numpy as np

from orchestrator.checkup.exam import Exam, clear_gain, finding
from orchestrator.checkup.thresholds import MECHANICAL_GAIN

RULE = ("confirmed when a transform fitted on the training rows (divide by 255, scale to [-1, 1], standardize with their "
        "mean and standard deviation, min-max to [0, 1]: per column, or per channel for images) raises the model's accuracy on those training rows by at "
        f"least {MECHANICAL_GAIN} and by more than the half-width of its 95% interval (beyond chance); the best such "
        "transform is named")


def _stats(x: np.ndarray) -> dict:
    axes = tuple(range(x.ndim - 1))
    return {"mean": x.mean(axis=axes), "std": x.std(axis=axes), "min": x.min(axis=axes), "max": x.max(axis=axes)}


# Ties go to the earlier candidate: the fixed pixel scalings first, since they need no statistics (on
# images whose pixels span 0..255, min-max and / 255 are the same transform).
DIVIDE_255, TO_PLUS_MINUS_1 = "divide by 255", "scale to [-1, 1] (x / 127.5 - 1)"
STANDARDIZE, MIN_MAX = "standardize (training mean and standard deviation)", "min-max to [0, 1] (training minimum and maximum)"
TRANSFORMS = (DIVIDE_255, TO_PLUS_MINUS_1, STANDARDIZE, MIN_MAX)


def _affine(name: str, s: dict) -> tuple[np.ndarray | float, np.ndarray | float]:
    """(offset, scale) of a candidate: x -> (x - offset) / scale, which is also how a repair puts it in the model."""
    if name == STANDARDIZE:
        return s["mean"], np.where(s["std"] > 0, s["std"], 1.0)
    if name == MIN_MAX:
        return s["min"], np.where(s["max"] > s["min"], s["max"] - s["min"], 1.0)
    return (0.0, 255.0) if name == DIVIDE_255 else (127.5, 127.5)


class Transform:
    """One candidate, fitted on the training rows, applied the same way to a matrix or to named columns."""

    def __init__(self, name: str, train_x) -> None:
        self.name = name
        fit = lambda v: _affine(name, _stats(np.asarray(v, dtype=np.float64)))  # noqa: E731
        self.affine = {k: fit(v) for k, v in train_x.items()} if isinstance(train_x, dict) else fit(train_x)

    def __call__(self, x):
        if isinstance(x, dict):
            return {k: ((v - self.affine[k][0]) / self.affine[k][1]).astype(np.float32) for k, v in x.items()}
        return ((x - self.affine[0]) / self.affine[1]).astype(np.float32)


def _fix(name: str) -> str:
    if name in (DIVIDE_255, TO_PLUS_MINUS_1):
        return f"apply '{name}' before the model, or put it in the model as a Rescaling layer"
    return f"apply '{name}' (fitted on the training rows) before the model, or put it in the model as a Normalization layer"


def preprocessing_mismatch(exam: Exam) -> dict:
    if not exam.has("train"):
        return finding("preprocessing_mismatch", "cannot_tell", "Needs the training rows (--data): the transform is "
                       "chosen on them, never on test.", RULE)
    train_x = exam.data.splits["train"].x
    as_given = exam.accuracy("train", transform=None)
    transforms = [Transform(name, train_x) for name in TRANSFORMS]
    tried = {t.name: exam.accuracy("train", transform=t) for t in transforms}
    best = max(transforms, key=lambda t: tried[t.name])
    gain = tried[best.name] - as_given
    numbers = {"train_accuracy_as_given": as_given, "train_accuracy_by_transform": tried}
    if not clear_gain(gain, len(exam.y_examined("train")), as_given):
        return finding("preprocessing_mismatch", "ruled_out", f"No transform helps: the model scores {as_given:.3f} on "
                       f"its training rows as given, at best {tried[best.name]:.3f} after one.", RULE, **numbers)
    test_before = exam.accuracy("test", transform=None)
    exam.transform = best
    test_after = exam.accuracy("test")
    return finding("preprocessing_mismatch", "confirmed",
                   f"The model expects its inputs transformed: '{best.name}' raises its accuracy on its own training rows "
                   f"from {as_given:.3f} to {tried[best.name]:.3f}, and on test from {test_before:.3f} to {test_after:.3f}.",
                   RULE, fix=_fix(best.name),
                   regained=test_after - test_before, transform=best.name, test_accuracy_after=test_after, **numbers)
