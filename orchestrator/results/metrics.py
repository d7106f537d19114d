"""Classification metrics from inference-mode probabilities: the numbers every report shows.

Computed with scikit-learn from `model.predict` outputs, never from `fit`'s running averages.
Two-class precision, recall, F1 and PR-AUC are those of the minority class of the training split
(`data.labels.minority_class`, `positive_class` in the result): the class a user looks for, whatever
its name sorts as (`fraud` before `legit`). With more classes they are macro averages.
"""

from __future__ import annotations

import numpy as np

from orchestrator.data.labels import minority_class


def _balanced_log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """Mean over the classes present of each class's mean cross-entropy: the minority counts as much."""
    p = np.clip(proba[np.arange(len(y)), y] / proba.sum(axis=1), 1e-15, 1.0)
    return float(np.mean([-np.log(p[y == k]).mean() for k in np.unique(y)]))


def classification_metrics(y: np.ndarray, proba: np.ndarray, n_classes: int, train_counts=None) -> dict:
    """Accuracy, precision, recall, F1 (two classes: of the training minority; more: macro), per-class
    precision/recall/F1, balanced accuracy, loss, ROC-AUC and PR-AUC where defined, and, given the
    training split's class counts, the accuracy of always answering its majority class (the bar a
    useful model must clear). Without `train_counts` the minority is that of `y` itself."""
    from sklearn import metrics as skm

    pred = proba.argmax(axis=1)
    labels = list(range(n_classes))
    p, r, f, support = skm.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    counts = np.bincount(y, minlength=n_classes) if train_counts is None else np.asarray(train_counts)
    binary = n_classes == 2
    positive = minority_class(counts) if binary else None
    out = {
        "accuracy": float(skm.accuracy_score(y, pred)),
        **({"precision": float(p[positive]), "recall": float(r[positive]), "f1": float(f[positive])} if binary else
           {name: float(score(y, pred, average="macro", zero_division=0)) for name, score in
            (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score))}),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y, pred)),
        "loss": float(skm.log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=list(range(n_classes)))),
        "balanced_loss": _balanced_log_loss(y, proba),
        "n": int(len(y)),
        "per_class": [{"precision": float(p[k]), "recall": float(r[k]), "f1": float(f[k]), "support": int(support[k])} for k in labels],
        **({"positive_class": positive} if binary else {}),
    }
    if train_counts is not None:
        out["majority_accuracy"] = float(np.mean(y == int(np.argmax(counts))))
    if len(np.unique(y)) == n_classes:
        if binary:  # ROC-AUC is the same for either class; PR-AUC is the minority's
            out["roc_auc"] = float(skm.roc_auc_score(y == positive, proba[:, positive]))
            out["pr_auc"] = float(skm.average_precision_score(y == positive, proba[:, positive]))
        else:
            out["roc_auc"] = float(skm.roc_auc_score(y, proba, multi_class="ovr", labels=labels))
            onehot = np.eye(n_classes)[y]
            out["pr_auc"] = float(skm.average_precision_score(onehot, proba, average="macro"))
    return out


def confusion(y: np.ndarray, proba: np.ndarray, n_classes: int) -> list[list[int]]:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y, proba.argmax(axis=1), labels=list(range(n_classes))).tolist()
