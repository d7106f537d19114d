"""The variants side by side: one table, printed by the CLI (rich) and written into report.md/html."""

from __future__ import annotations

from orchestrator.report.fields import fmt, gap, get
from orchestrator.report.references import reference_rows
from orchestrator.tuning.outcomes import LABELS

HEADERS = ["variant", "status", "epochs", "train acc", "val acc", "test acc", "gap train−test", "test F1", "test loss"]


def _verdicts(report: dict) -> dict:
    raw = get(report, "diagnosis", "verdicts")
    if isinstance(raw, dict):
        return {k: (v.get("verdict", "") if isinstance(v, dict) else v) for k, v in raw.items()}
    if isinstance(raw, list):
        return {d.get("variant"): d.get("verdict", d.get("label", "")) for d in raw if isinstance(d, dict)}
    return {}


def variant_rows(report: dict) -> tuple[list[str], list[list[str]]]:
    """(headers, rows): train / val / test accuracy, the train − test gap, and the verdict when diagnosed."""
    best, verdicts = get(report, "best", "variant"), _verdicts(report)
    rows = []
    for v in (v for v in report.get("variants") or [] if isinstance(v, dict)):
        status = str(v.get("status", "–"))
        row = [("★ " if v.get("variant") == best else "") + str(v.get("variant")), LABELS.get(status, status.replace("_", " ")),
               f"{v.get('epochs', '–')}/{v.get('max_epochs', '–')}", fmt(get(v, "train", "accuracy")),
               fmt(get(v, "val", "accuracy")), fmt(get(v, "test", "accuracy")), fmt(gap(v), "+.3f"),
               fmt(get(v, "test", "f1")), fmt(get(v, "test", "loss"))]
        rows.append(row + [str(verdicts.get(v.get("variant"), ""))] if verdicts else row)
    rows += [row + [""] if verdicts else row for row in reference_rows(report)]  # never the winner
    return HEADERS + (["verdict"] if verdicts else []), rows


def variant_table(report: dict):
    """`variant_rows` as a rich table, for the terminal."""
    from rich.table import Table

    metric = get(report, "selection", "metric") or "?"
    table = Table(title=f"{report.get('experiment', 'experiment')}: chosen on {metric} (validation), tested once")
    headers, rows = variant_rows(report)
    for col in headers:
        table.add_column(col, justify="left" if col in ("variant", "status", "verdict") else "right")
    for row in rows:
        table.add_row(*row)
    return table
