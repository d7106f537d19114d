"""The model's scores as the user reads them, with confidence intervals.

"As read" is what a user's own code does with the outputs: one sigmoid unit thresholded at 0.5,
several units by their largest. Outputs that are not probabilities (logits) are read that way too:
the metrics then show what the user saw, and `causes.outputs` says why it was wrong. The metrics
themselves are `results.metrics`' (one owner); this adds Wilson intervals for accuracy and for each
class's recall (scipy's `binomtest(...).proportion_ci`, a core dependency).
"""

from __future__ import annotations

import numpy as np

from orchestrator.checkup.thresholds import CONFIDENCE, PROBABILITY_TOLERANCE


def wilson(successes: int, n: int) -> list[float]:
    """The Wilson interval of a proportion at `CONFIDENCE`: honest at small n and near 0 or 1."""
    from scipy.stats import binomtest

    if n == 0:
        return [0.0, 1.0]
    interval = binomtest(int(successes), int(n)).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return [float(interval.low), float(interval.high)]


def half_width(n: int, accuracy: float) -> float:
    low, high = wilson(round(accuracy * n), n)
    return (high - low) / 2


def is_probability(raw: np.ndarray) -> bool:
    """Every output in [0, 1] and, with several units, rows summing to 1."""
    tol = PROBABILITY_TOLERANCE
    inside = bool(np.all((raw >= -tol) & (raw <= 1 + tol)))
    return inside and (raw.shape[1] == 1 or bool(np.all(np.abs(raw.sum(axis=1) - 1) <= tol)))


def as_read(raw: np.ndarray) -> np.ndarray:
    """(n, classes) scores whose argmax is what the user's code predicts from these outputs."""
    from orchestrator.models.outputs import class_probabilities

    if raw.shape[1] == 1:
        return class_probabilities(np.clip(raw, 0.0, 1.0))
    if is_probability(raw):
        return np.clip(raw, 0.0, 1.0)
    shifted = raw - raw.min(axis=1, keepdims=True) + 1e-6  # same argmax, positive, so the metrics can normalize it
    return shifted / shifted.sum(axis=1, keepdims=True)


def natural(raw: np.ndarray) -> np.ndarray:
    """The probabilities the outputs stand for: sigmoid or softmax of logits, the outputs themselves otherwise."""
    if is_probability(raw):
        return as_read(raw)
    if raw.shape[1] == 1:
        from orchestrator.models.outputs import class_probabilities

        return class_probabilities(1.0 / (1.0 + np.exp(-raw)))
    e = np.exp(raw - raw.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def accuracy(y: np.ndarray, proba: np.ndarray) -> float:
    return float(np.mean(proba.argmax(axis=1) == y)) if len(y) else 0.0


def class_counts(splits: dict, n_classes: int) -> list[int]:
    """The counts whose minority two-class precision, recall and F1 are about, the same in every
    split: the training rows', else the test file's (each split's own would name another class under label shift)."""
    split = splits.get("train") or splits["test"]
    return np.bincount(np.asarray(split.y, dtype=np.int64), minlength=n_classes).tolist()


def split_scores(y: np.ndarray, proba: np.ndarray, n_classes: int, counts: list[int] | None = None) -> dict:
    """`results.metrics.classification_metrics` with Wilson intervals for accuracy and each class's recall."""
    from orchestrator.results.metrics import classification_metrics, confusion

    scores = classification_metrics(y, proba, n_classes, counts)
    scores["confusion_matrix"] = confusion(y, proba, n_classes)  # rows: the file's labels; columns: the model's answers
    correct = int(np.sum(proba.argmax(axis=1) == y))
    scores["accuracy_interval"] = wilson(correct, len(y))
    pred = proba.argmax(axis=1)
    for k, entry in enumerate(scores["per_class"]):
        entry["recall_interval"] = wilson(int(np.sum((pred == k) & (y == k))), entry["support"])
    scores["confidence"] = CONFIDENCE
    return scores
