"""The scikit-learn references' rows in the variants table (`results.references` computed them).

Marked as references in the name and the status column, never starred: they are not candidates,
and nothing is chosen among them on test. Same columns as a variant's row (`tables.HEADERS`).
"""

from __future__ import annotations

from orchestrator.report.fields import fmt, gap, get

STATUS = "reference"


def reference_rows(report: dict) -> list[list[str]]:
    """One row per reference: train / val / test accuracy, the gap, test F1 and loss; no epochs."""
    rows = []
    for ref in (r for r in report.get("references") or [] if isinstance(r, dict)):
        rows.append([f"{ref.get('name')} (reference)", STATUS, "–", fmt(get(ref, "train", "accuracy")),
                     fmt(get(ref, "val", "accuracy")), fmt(get(ref, "test", "accuracy")), fmt(gap(ref), "+.3f"),
                     fmt(get(ref, "test", "f1")), fmt(get(ref, "test", "loss"))])
    return rows
