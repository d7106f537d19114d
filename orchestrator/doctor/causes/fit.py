"""overfitting and underfitting: how the model fits its training rows against test and against what the data allows.

Both read the model with the mechanical corrections already confirmed (exam.py), so a model fed
unscaled rows or read through the wrong activation is not mistaken for one that learnt badly.
Accuracies are inference-mode, on the same footing for train and test (never `fit`'s running mean).
"""

from __future__ import annotations

from orchestrator.doctor import scores
from orchestrator.doctor.exam import Exam, finding
from orchestrator.doctor.references import best_test_accuracy
from orchestrator.doctor.thresholds import OVERFIT_GAP, UNDERFIT_GAP

OVERFIT_RULE = (f"confirmed when training accuracy exceeds test accuracy by at least {OVERFIT_GAP} and their "
                "confidence intervals do not overlap; cannot_tell when the gap is that large but the intervals overlap")
UNDERFIT_RULE = (f"confirmed when the model's accuracy on its own training rows is at least {UNDERFIT_GAP} below the best "
                 "reference model's test accuracy and that reference lies above the training accuracy's interval")


def _accuracies(exam: Exam) -> dict:
    train, test = exam.accuracy("train"), exam.accuracy("test")
    n_train, n_test = len(exam.y_examined("train")), len(exam.y_examined("test"))
    return {"train_accuracy": train, "train_interval": scores.wilson(round(train * n_train), n_train),
            "test_accuracy": test, "test_interval": scores.wilson(round(test * n_test), n_test)}


def overfitting(exam: Exam) -> dict:
    if not exam.has("train"):
        return finding("overfitting", "cannot_tell", "Needs the training rows (--data) to compare with test.", OVERFIT_RULE)
    a = _accuracies(exam)
    gap = a["train_accuracy"] - a["test_accuracy"]
    best = best_test_accuracy(exam.references)
    numbers = {**a, "gap": gap, "best_reference_test_accuracy": best}
    if gap < OVERFIT_GAP:
        return finding("overfitting", "ruled_out", f"Training and test accuracy are close ({a['train_accuracy']:.3f} vs "
                       f"{a['test_accuracy']:.3f}).", OVERFIT_RULE, **numbers)
    if a["train_interval"][0] <= a["test_interval"][1]:
        return finding("overfitting", "cannot_tell", f"Training accuracy {a['train_accuracy']:.3f} is above test "
                       f"{a['test_accuracy']:.3f}, but their intervals overlap at these sizes.", OVERFIT_RULE, **numbers)
    return finding("overfitting", "confirmed",
                   f"The model memorized its training rows: {a['train_accuracy']:.3f} on them, {a['test_accuracy']:.3f} on test."
                   + (f" A gradient-boosted or linear reference reaches {best:.3f} on test." if best is not None else ""),
                   OVERFIT_RULE, fix="regularize (dropout, L2, early stopping, more data): gg-train launch searches these",
                   regained=max(0.0, (best or 0.0) - a["test_accuracy"]), **numbers)


def underfitting(exam: Exam) -> dict:
    best = best_test_accuracy(exam.references)
    if not exam.has("train") or best is None:
        return finding("underfitting", "cannot_tell", "Needs the training rows (--data): they show how well the model fits "
                       "and what reference models reach.", UNDERFIT_RULE)
    a = _accuracies(exam)
    shortfall = best - a["train_accuracy"]
    numbers = {**a, "best_reference_test_accuracy": best, "shortfall": shortfall}
    if shortfall < UNDERFIT_GAP or best <= a["train_interval"][1]:
        return finding("underfitting", "ruled_out", f"The model fits its training rows ({a['train_accuracy']:.3f}) about as well "
                       f"as reference models do on test ({best:.3f}) or better.", UNDERFIT_RULE, **numbers)
    return finding("underfitting", "confirmed",
                   f"The model does not even fit its training rows: {a['train_accuracy']:.3f} on them, while a reference "
                   f"model reaches {best:.3f} on test.", UNDERFIT_RULE,
                   fix="train longer, with a larger model or a higher learning rate: gg-train launch searches the architecture's variants",
                   regained=max(0.0, best - a["test_accuracy"]), **numbers)
