"""overfitting and underfitting: how the model fits its training rows against test and against what the data allows.

Both read the model with the mechanical corrections already confirmed (exam.py), so a model fed
unscaled rows or read through the wrong activation is not mistaken for one that learnt badly.
Accuracies are inference-mode, on the same footing for train and test (never `fit`'s running mean).
Overfitting compares training rows with held-out ones: the validation rows when the user kept some
(an honest estimate that a small or shifted test file does not blur), else the test rows.
"""

from __future__ import annotations

from orchestrator.checkup import scores
from orchestrator.checkup.exam import Exam, decided, finding
from orchestrator.checkup.thresholds import OVERFIT_GAP, UNDERFIT_GAP

OVERFIT_RULE = (f"confirmed when training accuracy exceeds held-out accuracy (validation if given, else test) by at least "
                f"{OVERFIT_GAP} and their confidence intervals do not overlap; cannot_tell when the gap is that large but the "
                "intervals overlap")
UNDERFIT_RULE = (f"confirmed when the model's accuracy on its own training rows is at least {UNDERFIT_GAP} below the best "
                 "reference model's test accuracy and that reference lies above the training accuracy's interval")


def _accuracies(exam: Exam, held_out: str = "test") -> dict:
    out = {}
    for split, key in (("train", "train"), (held_out, "held_out")):
        accuracy, n = exam.accuracy(split), len(exam.y_examined(split))
        out.update({f"{key}_accuracy": accuracy, f"{key}_interval": scores.wilson(round(accuracy * n), n)})
    return {**out, "held_out_split": held_out, "test_accuracy": exam.accuracy("test")}


def overfitting(exam: Exam) -> dict:
    if not exam.has("train"):
        return finding("overfitting", "cannot_tell", "Needs the training rows (--data) to compare with test.", OVERFIT_RULE)
    a = _accuracies(exam, "val" if exam.has("val") else "test")
    gap = a["train_accuracy"] - a["held_out_accuracy"]
    best = exam.best_reference_accuracy()
    numbers = {**a, "gap": gap, "best_reference_test_accuracy": best}
    if gap < OVERFIT_GAP:
        return finding("overfitting", "ruled_out", f"Training and {a['held_out_split']} accuracy are close "
                       f"({a['train_accuracy']:.3f} vs {a['held_out_accuracy']:.3f}).", OVERFIT_RULE, **numbers)
    if a["train_interval"][0] <= a["held_out_interval"][1]:
        return finding("overfitting", "cannot_tell", f"Training accuracy {a['train_accuracy']:.3f} is above {a['held_out_split']} "
                       f"{a['held_out_accuracy']:.3f}, but their intervals overlap at these sizes.", OVERFIT_RULE, **numbers)
    return finding("overfitting", "confirmed",
                   f"The model memorized its training rows: {a['train_accuracy']:.3f} on them, {a['held_out_accuracy']:.3f} on "
                   f"{a['held_out_split']}."
                   + (f" A gradient-boosted or linear reference reaches {best:.3f} on test." if best is not None else ""),
                   OVERFIT_RULE, fix="regularize (dropout, L2, early stopping, more data): gg-train launch searches these",
                   regained=max(0.0, (best or 0.0) - a["test_accuracy"]), **numbers)


def underfitting(exam: Exam) -> dict:
    best = exam.best_reference_accuracy()
    if not exam.has("train") or best is None:
        return finding("underfitting", "cannot_tell", "Needs the training rows (--data): they show how well the model fits "
                       "and what reference models reach.", UNDERFIT_RULE)
    a = _accuracies(exam)
    shortfall = best - a["train_accuracy"]
    numbers = {**a, "best_reference_test_accuracy": best, "shortfall": shortfall}
    return decided("underfitting", shortfall >= UNDERFIT_GAP and best > a["train_interval"][1], UNDERFIT_RULE, numbers,
                   yes=f"The model does not even fit its training rows: {a['train_accuracy']:.3f} on them, while a reference "
                       f"model reaches {best:.3f} on test.",
                   no=f"The model fits its training rows ({a['train_accuracy']:.3f}) about as well as reference models do on "
                      f"test ({best:.3f}) or better.",
                   fix="train longer, with a larger model or a higher learning rate: gg-train launch searches the architecture's variants",
                   regained=max(0.0, best - a["test_accuracy"]))
