"""unseen_categories: test rows whose coded category (a site, a product, a region as a whole number)
never occurs in training.

The model has never seen those codes, so what it answers for them is an extrapolation. The cause is
confirmed only when those rows actually score worse than the rest, beyond chance at their number.
"""

from __future__ import annotations

import numpy as np

from orchestrator.checkup import scores
from orchestrator.checkup.exam import Exam, decided, finding
from orchestrator.checkup.references import matrix
from orchestrator.checkup.thresholds import MAX_CODES, UNSEEN_ACCURACY_GAP

RULE = (f"confirmed when test rows hold a code never seen in training in a model column of whole numbers with at most "
        f"{MAX_CODES} distinct training values, and the model's accuracy on those rows is at least {UNSEEN_ACCURACY_GAP} "
        "below its accuracy on the other test rows and below their interval")


def _coded_columns(x_train: np.ndarray) -> list[int]:
    coded = []
    for i in range(x_train.shape[1]):
        values = np.unique(x_train[:, i])
        if 2 <= len(values) <= MAX_CODES and np.all(values == np.round(values)):
            coded.append(i)
    return coded


def unseen_categories(exam: Exam) -> dict:
    if exam.data.images:
        return finding("unseen_categories", "not_applicable", "Images have no columns of coded categories (pixels are "
                       "intensities, not codes).", RULE)
    if not exam.has("train"):
        return finding("unseen_categories", "cannot_tell", "Needs the training rows (--data) to know which codes were seen.", RULE)
    x_train, x_test = matrix(exam.data.splits["train"].x), matrix(exam.x("test"))
    names = exam.data.features if x_train.shape[1] == len(exam.data.features) else [f"x{i}" for i in range(x_train.shape[1])]
    coded = _coded_columns(x_train)
    if not coded:
        return finding("unseen_categories", "not_applicable", "No model column holds coded categories (whole numbers with "
                       f"at most {MAX_CODES} values).", RULE)
    new = {names[i]: sorted(set(np.unique(x_test[:, i]).tolist()) - set(np.unique(x_train[:, i]).tolist())) for i in coded}
    unseen = np.zeros(len(x_test), dtype=bool)
    for i in coded:
        unseen |= ~np.isin(x_test[:, i], x_train[:, i])
    correct = exam.read(exam.raw("test")).argmax(axis=1) == exam.y_examined("test")
    numbers = {"coded_columns": [names[i] for i in coded], "unseen_codes": {k: v[:10] for k, v in new.items() if v},
               "test_rows_with_unseen_codes": int(unseen.sum())}
    if not unseen.any() or unseen.all():
        return finding("unseen_categories", "ruled_out" if not unseen.any() else "cannot_tell",
                       "Every test code occurs in training." if not unseen.any() else "No test row holds a code seen in training.",
                       RULE, **numbers)
    on_unseen, on_rest = float(correct[unseen].mean()), float(correct[~unseen].mean())
    high = scores.wilson(int(correct[unseen].sum()), int(unseen.sum()))[1]
    numbers.update(test_accuracy_unseen=on_unseen, test_accuracy_seen=on_rest, unseen_interval_high=high)
    where = ", ".join(f"{k} {v[:5]}" for k, v in numbers["unseen_codes"].items())
    return decided("unseen_categories", on_rest - on_unseen >= UNSEEN_ACCURACY_GAP and on_rest > high, RULE, numbers,
                   yes=f"{int(unseen.sum())} test rows hold codes never seen in training ({where}); the model scores "
                       f"{on_unseen:.3f} on them and {on_rest:.3f} on the rest.",
                   no=f"{int(unseen.sum())} test rows hold codes unseen in training ({where}), but the model scores about "
                      f"as well on them ({on_unseen:.3f} vs {on_rest:.3f}).",
                   fix="train with rows of those categories (or send them to another model); until then, flag such rows",
                   regained=on_rest - float(correct.mean()))
