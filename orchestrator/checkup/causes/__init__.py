"""Every cause the doctor tests, in the order they run, and which confirmed one is primary.

The mechanical causes come first: each one confirmed leaves its correction on the `Exam`, so the
later ones judge the model as it would be with it fixed. `primary` is the confirmed cause whose
correction regains the most test accuracy (`evidence.regained_test_accuracy`: for a mechanical cause
the test accuracy with it corrected minus without; for over- and underfitting the best reference's
test accuracy minus the model's, what a model of this data reaches). Ties (most often at 0: an
overlap, an imbalance) go by `results.severity`, the order the launch's headline uses, so an overlap
("these scores are not real") leads there as here; the mechanical causes, which severity does not
rank, stay first on ties because they are certain and cheap to fix.
"""

from __future__ import annotations

from orchestrator.checkup.causes.fit import overfitting, underfitting
from orchestrator.checkup.causes.labels import label_mapping
from orchestrator.checkup.causes.mode import inference_mode
from orchestrator.checkup.causes.outputs import output_scale
from orchestrator.checkup.causes.preprocessing import preprocessing_mismatch
from orchestrator.checkup.causes.overlap import train_test_overlap
from orchestrator.checkup.causes.sample import class_imbalance, small_test_set
from orchestrator.checkup.causes.shift import covariate_shift, label_shift
from orchestrator.checkup.causes.unseen import unseen_categories
from orchestrator.checkup.exam import Exam
from orchestrator.results import severity

CAUSES = (output_scale, preprocessing_mismatch, inference_mode, label_mapping, covariate_shift, label_shift,
          unseen_categories, overfitting, underfitting, class_imbalance, train_test_overlap, small_test_set)
# Causes whose remedy is a search over the architecture's training recipe: `gg-train launch` runs it.
LAUNCH_REMEDIES = ("overfitting", "underfitting", "class_imbalance", "covariate_shift")
# How findings are listed: confirmed first (most regained first), then the undecided, then the rest.
VERDICT_ORDER = {"confirmed": 0, "cannot_tell": 1, "ruled_out": 2, "not_applicable": 3}


def run_all(exam: Exam) -> list[dict]:
    return [cause(exam) for cause in CAUSES]


def _tie(f: dict) -> int:
    return severity.rank(f["cause"], unknown=-1)


def primary(findings: list[dict]) -> str | None:
    confirmed = [f for f in findings if f["verdict"] == "confirmed"]
    if not confirmed:
        return None
    return min(confirmed, key=lambda f: (-f["evidence"]["regained_test_accuracy"], _tie(f), findings.index(f)))["cause"]


def ranked(findings: list[dict]) -> list[dict]:
    """Worst first: confirmed by accuracy regained, then cannot_tell, ruled_out, not_applicable."""
    return sorted(findings, key=lambda f: (VERDICT_ORDER[f["verdict"]], -f["evidence"]["regained_test_accuracy"], _tie(f)))
