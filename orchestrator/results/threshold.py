"""The decision threshold, tuned on validation, for two-class tasks.

A model trained on imbalanced classes ranks the rows well long before the 0.5 cut-off on its
probability finds the minority class: argmax at 0.5 can answer "majority" for every row while the
ROC curve is excellent. The threshold that maximizes the minority class's F1 *on validation*
recovers it; the test split then says how well that choice holds. The report states both: the
metrics at 0.5 (the model's argmax, what `model.predict(x).argmax()` gives) and at the tuned
threshold, and `best/metrics.json` carries the threshold with the exported model.
"""

from __future__ import annotations

import numpy as np

from orchestrator.data.labels import minority_class

RULE = ("the probability of the minority class above which a row is called that class, chosen to "
        "maximize that class's F1 on the validation split; the test split played no part in it")


def tune(y_val: np.ndarray, score_val: np.ndarray, positive: int) -> float:
    """The score cut-off with the highest F1 of `positive` on validation (0.5 when it has no rows there)."""
    from sklearn.metrics import precision_recall_curve

    hits = np.asarray(y_val) == positive
    if not hits.any() or hits.all():
        return 0.5
    precision, recall, cutoffs = precision_recall_curve(hits, score_val)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(precision), where=precision + recall > 0)
    return float(cutoffs[int(np.argmax(f1[:-1]))])  # the last (precision, recall) pair has no cut-off


def metrics_at(y: np.ndarray, score: np.ndarray, positive: int, cutoff: float) -> dict:
    """F1, precision and recall of `positive`, accuracy and balanced accuracy, calling rows with
    score ≥ `cutoff` the positive class."""
    from sklearn import metrics as skm

    truth = np.asarray(y) == positive
    called = np.asarray(score) >= cutoff
    return {
        "f1": float(skm.f1_score(truth, called, zero_division=0)),
        "precision": float(skm.precision_score(truth, called, zero_division=0)),
        "recall": float(skm.recall_score(truth, called, zero_division=0)),
        "accuracy": float(np.mean(truth == called)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(truth, called)) if 0 < truth.sum() < len(truth) else None,
    }


def decision(y_val: np.ndarray, val_proba: np.ndarray, y_test: np.ndarray, test_proba: np.ndarray,
             train_counts: list[int]) -> dict | None:
    """The tuned threshold and the minority class's metrics at 0.5 and at it, on val and test;
    None for more than two classes (argmax over K probabilities has no single cut-off)."""
    if val_proba.shape[1] != 2:
        return None
    positive = minority_class(train_counts)
    cutoff = tune(y_val, val_proba[:, positive], positive)
    # The class's own probability at argmax: with two classes, argmax picks it when p ≥ 0.5.
    return {
        "class": positive, "value": cutoff, "rule": RULE,
        "at_0_5": {split: metrics_at(y, p[:, positive], positive, 0.5)
                   for split, y, p in (("val", y_val, val_proba), ("test", y_test, test_proba))},
        "tuned": {split: metrics_at(y, p[:, positive], positive, cutoff)
                  for split, y, p in (("val", y_val, val_proba), ("test", y_test, test_proba))},
    }
