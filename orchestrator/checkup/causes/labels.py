"""label_mapping: the test file spells the classes differently from training (0/1 swapped, another order).

The model's predictions on test are compared with the test labels under every assignment of labels
to units; the best one comes from the confusion matrix (`linear_sum_assignment` on its negation).
It is the test file that is wrong when its labels agree far better under another assignment while
the training labels agree best under the identity (the model learnt them as spelled there). The fix
is to the file, not the model: the mapping is reported. The reference models, fitted on the training
rows, are scored on the test labels both as given and remapped: a second witness that needs no Keras.
"""

from __future__ import annotations

import numpy as np

from orchestrator.checkup.exam import Exam, clear_gain, finding
from orchestrator.checkup.thresholds import IDENTITY_SLACK, MECHANICAL_GAIN

RULE = ("confirmed when the test labels agree with the predictions better under another assignment of classes (the one "
        f"that matches the confusion matrix) by at least {MECHANICAL_GAIN} and by more than the half-width of its 95% "
        f"interval (beyond chance), while on the training rows the identity is within {IDENTITY_SLACK} of the best assignment")


def best_assignment(y: np.ndarray, pred: np.ndarray, n: int) -> tuple[np.ndarray, float, float]:
    """(unit each label should be, accuracy under it, accuracy under the identity)."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import confusion_matrix

    counts = confusion_matrix(y, pred, labels=list(range(n)))
    rows, cols = linear_sum_assignment(-counts)
    units = np.arange(n)
    units[rows] = cols
    total = max(len(y), 1)
    return units, float(counts[rows, cols].sum() / total), float(np.trace(counts) / total)


def label_mapping(exam: Exam) -> dict:
    n = exam.n_classes
    pred = exam.read(exam.raw("test")).argmax(axis=1)
    units, best, identity = best_assignment(exam.y("test"), pred, n)
    classes = exam.data.classes
    mapping = {classes[k]: classes[int(u)] for k, u in enumerate(units) if u != k}
    numbers = {"test_accuracy_as_labelled": identity, "test_accuracy_remapped": best, "mapping": mapping}
    if not mapping or not clear_gain(best - identity, len(pred), identity):
        return finding("label_mapping", "ruled_out", "The test labels agree with the model best as they are spelled.", RULE, **numbers)
    if not exam.has("train"):
        return finding("label_mapping", "cannot_tell", f"The test labels agree better remapped ({identity:.3f} -> {best:.3f}), "
                       "but without training rows (--data) the doctor cannot tell whether the model learnt them that way.",
                       RULE, **numbers)
    _, train_best, train_identity = best_assignment(exam.y_examined("train"), exam.read(exam.raw("train")).argmax(axis=1), n)
    numbers.update(train_accuracy_as_labelled=train_identity, train_accuracy_best_assignment=train_best)
    if train_best - train_identity > IDENTITY_SLACK:
        return finding("label_mapping", "cannot_tell", "The training labels do not agree best as spelled either: the model "
                       "itself confuses these classes.", RULE, **numbers)
    reference_as_labelled = exam.best_reference_accuracy()
    exam.test_units = units  # from here on (and in doctor.json's references) the test labels are read remapped
    numbers.update(best_reference_test_accuracy_as_labelled=reference_as_labelled,
                   best_reference_test_accuracy_remapped=exam.best_reference_accuracy())
    pairs = ", ".join(f"'{a}' -> '{b}'" for a, b in mapping.items())
    return finding("label_mapping", "confirmed",
                   f"The test file labels the classes differently from training: read as {pairs}, its labels agree with the "
                   f"model {best:.3f} of the time instead of {identity:.3f}.", RULE,
                   fix=f"relabel the test file ({pairs}) and score it again; the model is fine", regained=best - identity, **numbers)
