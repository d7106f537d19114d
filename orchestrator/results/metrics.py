"""Classification metrics from inference-mode probabilities: the numbers every report shows.

Computed with scikit-learn from `model.predict` outputs, never from `fit`'s running averages.
"""

from __future__ import annotations

import numpy as np


def _balanced_log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """Mean over the classes present of each class's mean cross-entropy: the minority counts as much."""
    p = np.clip(proba[np.arange(len(y)), y] / proba.sum(axis=1), 1e-15, 1.0)
    return float(np.mean([-np.log(p[y == k]).mean() for k in np.unique(y)]))


def classification_metrics(y: np.ndarray, proba: np.ndarray, n_classes: int, majority_class: int | None = None) -> dict:
    """Accuracy, precision, recall, F1 (binary: positive class; multi-class: macro), per-class
    precision/recall/F1, balanced accuracy, loss, ROC-AUC and PR-AUC where defined, and the accuracy
    of always answering the training split's majority class (the bar a useful model must clear)."""
    from sklearn import metrics as skm

    pred = proba.argmax(axis=1)
    labels = list(range(n_classes))
    p, r, f, support = skm.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    average = "binary" if n_classes == 2 else "macro"
    out = {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "precision": float(skm.precision_score(y, pred, average=average, zero_division=0)),
        "recall": float(skm.recall_score(y, pred, average=average, zero_division=0)),
        "f1": float(skm.f1_score(y, pred, average=average, zero_division=0)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y, pred)),
        "loss": float(skm.log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=list(range(n_classes)))),
        "balanced_loss": _balanced_log_loss(y, proba),
        "n": int(len(y)),
        "per_class": [{"precision": float(p[k]), "recall": float(r[k]), "f1": float(f[k]), "support": int(support[k])} for k in labels],
    }
    if majority_class is not None:
        out["majority_accuracy"] = float(np.mean(y == majority_class))
    present = np.unique(y)
    if len(present) == n_classes:
        if n_classes == 2:
            out["roc_auc"] = float(skm.roc_auc_score(y, proba[:, 1]))
            out["pr_auc"] = float(skm.average_precision_score(y, proba[:, 1]))
        else:
            out["roc_auc"] = float(skm.roc_auc_score(y, proba, multi_class="ovr", labels=labels))
            onehot = np.eye(n_classes)[y]
            out["pr_auc"] = float(skm.average_precision_score(onehot, proba, average="macro"))
    return out


def confusion(y: np.ndarray, proba: np.ndarray, n_classes: int) -> list[list[int]]:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y, proba.argmax(axis=1), labels=list(range(n_classes))).tolist()
