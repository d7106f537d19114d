"""train_test_overlap: test rows that are copies of training rows.

A test row identical to a training row measures recall, not generalization: it flatters the test
score (and hides how low it really is). Rows are compared exactly on the columns the model takes;
images on every decoded pixel (a copied file, or the same picture saved twice).
"""

from __future__ import annotations

import numpy as np

from orchestrator.data.checks import row_keys
from orchestrator.checkup.exam import Exam, finding
from orchestrator.checkup.references import matrix
from orchestrator.checkup.thresholds import OVERLAP_SHARE

RULE = (f"confirmed when at least {OVERLAP_SHARE:.0%} of the test rows are identical to a training row on the model's columns "
        "(images: on every pixel)")


def _keys(x) -> np.ndarray:
    """Images by their digest, table rows by their values in the model's columns (`data.checks.row_keys`)."""
    images = not isinstance(x, dict) and np.ndim(x) > 2
    return row_keys(np.asarray(x) if images else matrix(x), images)


def train_test_overlap(exam: Exam) -> dict:
    if not exam.has("train"):
        return finding("train_test_overlap", "cannot_tell", "Needs the training rows (--data) to look for copies.", RULE)
    copied = np.isin(_keys(exam.x("test")), _keys(exam.data.splits["train"].x))
    correct = exam.read(exam.raw("test")).argmax(axis=1) == exam.y_examined("test")
    share = float(copied.mean())
    numbers = {"test_rows_in_training": int(copied.sum()), "share": share,
               "test_accuracy_on_copies": float(correct[copied].mean()) if copied.any() else None,
               "test_accuracy_on_the_rest": float(correct[~copied].mean()) if (~copied).any() else None}
    if share < OVERLAP_SHARE:
        return finding("train_test_overlap", "ruled_out", f"{int(copied.sum())} test rows are copies of training rows.", RULE, **numbers)
    rest = numbers["test_accuracy_on_the_rest"]
    return finding("train_test_overlap", "confirmed",
                   f"{int(copied.sum())} test rows ({share:.0%}) are copies of training rows: they measure memory, not "
                   "generalization" + (f"; on the other test rows the model scores {rest:.3f}." if rest is not None else "."),
                   RULE, fix="drop the copied rows from the test file (or deduplicate before splitting) and score it again", **numbers)
