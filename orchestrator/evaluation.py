"""Select on validation data only, then evaluate the chosen checkpoints once on train, val and test.

Selection reads nothing but each trial's last reported validation metric (`scope="last"`: the model
the trial really ended with; for early-stopping variants that is the restored best epoch). Test
data enters here for the first time, and only for the already-chosen checkpoints. All metrics are
computed from `model.predict` in inference mode, never from `fit`'s running averages.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from orchestrator.data import Dataset
from orchestrator.tuning_types import TrialOutcome

ELIGIBLE = ("completed", "stopped_early", "early_stopping")
FINISHED = ("completed", "early_stopping")


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def select(outcomes: list[TrialOutcome], metric: str, mode: str) -> tuple[dict[str, TrialOutcome], TrialOutcome | None]:
    """Best trial per variant and overall, by the validation `metric`; errored/diverged never win.

    Within a variant, trials that finished their recipe are preferred over trials ASHA stopped:
    ASHA stopped those for trailing at a rung, and a truncated run must not win later merely because
    it never reached the epochs where the variant overfits. A variant whose every trial was stopped
    is represented by its best stopped trial.
    """
    sign = 1 if mode == "min" else -1
    per_variant: dict[str, TrialOutcome] = {}
    for outcome in outcomes:
        value = outcome.metrics.get(metric)
        if outcome.status not in ELIGIBLE or outcome.checkpoint is None or not _finite(value):
            continue
        current = per_variant.get(outcome.variant)
        rank = (outcome.status not in FINISHED, sign * value)
        if current is None or rank < (current.status not in FINISHED, sign * current.metrics[metric]):
            per_variant[outcome.variant] = outcome
    best = min(per_variant.values(), key=lambda o: sign * o.metrics[metric], default=None)
    return per_variant, best


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


@dataclass
class Evaluated:
    outcome: TrialOutcome
    train: dict
    val: dict
    test: dict
    history: list[dict]  # per-epoch train/val metrics of the evaluated checkpoint's run


def evaluate_checkpoint(checkpoint_dir: str, dataset: Dataset) -> tuple[dict, dict, dict, np.ndarray, list[dict]]:
    """Inference-mode metrics on the three splits; also the test probabilities and the run's history."""
    from orchestrator.checkpoint import load_model, load_state
    from orchestrator.distribute import prepare_driver
    from orchestrator.models import predict_proba

    prepare_driver()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # predict's retracing notes are noise here
    model = load_model(checkpoint_dir, compile=False)
    majority = int(np.argmax(np.bincount(dataset.train.y, minlength=dataset.n_classes)))
    scores, test_proba = [], None
    for split in (dataset.train, dataset.val, dataset.test):
        proba = predict_proba(model, split.x)
        scores.append(classification_metrics(split.y, proba, dataset.n_classes, majority))
        test_proba = proba
    history = load_state(checkpoint_dir).history
    return scores[0], scores[1], scores[2], test_proba, history


def evaluate(outcomes: list[TrialOutcome], dataset: Dataset, metric: str, mode: str):
    """Returns ({variant: Evaluated}, best Evaluated or None, best's test confusion matrix)."""
    per_variant, best = select(outcomes, metric, mode)
    evaluated, matrix = {}, None
    for variant, outcome in per_variant.items():
        train, val, test, test_proba, history = evaluate_checkpoint(outcome.checkpoint, dataset)
        evaluated[variant] = Evaluated(outcome, train, val, test, history)
        if outcome is best:
            matrix = confusion(dataset.test.y, test_proba, dataset.n_classes)
    return evaluated, (evaluated[best.variant] if best else None), matrix
