"""small_test_set and class_imbalance: when the test score itself is the wrong thing to read.

A test set of 25 rows gives accuracy ±0.18 at 95%: a drop from validation within that is chance.
With a rare class, accuracy rewards ignoring it; balanced accuracy (the mean recall of the classes)
shows whether the model does. The imbalance measure is the data checks' (`data.checks`), one owner.
"""

from __future__ import annotations

import numpy as np

from orchestrator.checkup import scores
from orchestrator.checkup.exam import Exam, finding
from orchestrator.checkup.thresholds import IMBALANCE_ACCURACY_GAP, SMALL_TEST_HALF_WIDTH

SMALL_RULE = (f"confirmed when the test accuracy's interval is wider than ±{SMALL_TEST_HALF_WIDTH} and the validation "
              "accuracy (else the training accuracy) lies inside it: the difference is within what chance gives at this size")
IMBALANCE_RULE = ("confirmed when the training classes are imbalanced by the data checks' measure and the model's balanced "
                  f"accuracy on test lies at least {IMBALANCE_ACCURACY_GAP} below its accuracy (the minority is neglected)")


def small_test_set(exam: Exam) -> dict:
    n = len(exam.y_examined("test"))
    test = exam.accuracy("test")
    low, high = scores.wilson(round(test * n), n)
    other = "val" if exam.has("val") else "train" if exam.has("train") else None
    reference = exam.accuracy(other) if other else None
    numbers = {"n_test": n, "test_accuracy": test, "test_interval": [low, high], "half_width": (high - low) / 2,
               "compared_with": other, "compared_accuracy": reference}
    if (high - low) / 2 < SMALL_TEST_HALF_WIDTH:
        return finding("small_test_set", "ruled_out", f"{n} test rows measure accuracy to ±{(high - low) / 2:.3f}.", SMALL_RULE, **numbers)
    if reference is not None and not low <= reference <= high:
        return finding("small_test_set", "ruled_out", f"Even at ±{(high - low) / 2:.3f}, {other} accuracy {reference:.3f} is "
                       f"outside the test interval [{low:.3f}, {high:.3f}].", SMALL_RULE, **numbers)
    return finding("small_test_set", "confirmed",
                   f"The test set is too small to tell: {n} rows give accuracy {test:.3f} ± {(high - low) / 2:.3f}"
                   + (f", and {other} accuracy {reference:.3f} is inside that range." if reference is not None else "."),
                   SMALL_RULE, fix="score the model on more test rows before concluding anything", **numbers)


def class_imbalance(exam: Exam) -> dict:
    from orchestrator.data.checks import imbalance_numbers

    counted = "train" if exam.has("train") else "test"
    counts = np.bincount(exam.y(counted), minlength=exam.n_classes).tolist()
    measure = imbalance_numbers(counts)
    proba = exam.read(exam.raw("test"))
    y = exam.y_examined("test")
    accuracy = scores.accuracy(y, proba)
    from sklearn.metrics import balanced_accuracy_score

    balanced = float(balanced_accuracy_score(y, proba.argmax(axis=1)))
    numbers = {"counted_on": counted, "class_counts": counts, "minority_share": measure["minority_share"],
               "test_accuracy": accuracy, "test_balanced_accuracy": balanced}
    if not measure["warn"]:
        return finding("class_imbalance", "ruled_out", f"The classes are balanced enough (smallest {measure['minority_share']:.0%}).",
                       IMBALANCE_RULE, **numbers)
    if accuracy - balanced < IMBALANCE_ACCURACY_GAP:
        return finding("class_imbalance", "ruled_out", f"The classes are imbalanced, but the model serves the minority too "
                       f"(balanced accuracy {balanced:.3f} vs accuracy {accuracy:.3f}).", IMBALANCE_RULE, **numbers)
    return finding("class_imbalance", "confirmed",
                   f"Accuracy flatters the model: the smallest class is {measure['minority_share']:.0%} of the rows, and test "
                   f"balanced accuracy is {balanced:.3f} against accuracy {accuracy:.3f}.", IMBALANCE_RULE,
                   fix="judge the model by balanced accuracy or per-class recall, and retrain with class weights: "
                       "gg-train launch does both", **numbers)
