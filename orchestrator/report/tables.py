"""The variants side by side: one table, printed by the CLI (rich) and written into report.md/html."""

from __future__ import annotations

from orchestrator.report.fields import class_names, fmt, gap, get, isnum
from orchestrator.report.references import reference_rows
from orchestrator.tuning.outcomes import LABELS

HEADERS = ["variant", "status", "epochs", "train acc", "val acc", "test acc", "gap train−test", "test F1", "test loss"]
F1_COLUMN = HEADERS.index("test F1")


def f1_header(report: dict) -> str:
    """'test F1 (fraud)': whose F1 the column shows, the training minority's for two classes (the
    metrics' `positive_class`), 'macro' for more; plain 'test F1' for a report that does not say."""
    variants = [v for v in report.get("variants") or [] if isinstance(v, dict)]
    positive = next((get(v, "test", "positive_class") for v in variants if isnum(get(v, "test", "positive_class"))), None)
    if positive is not None:
        return f"test F1 ({class_names(report, 2)[int(positive)]})" if int(positive) in (0, 1) else "test F1"
    n_classes = len(get(report, "data", "class_names") or [])
    return "test F1 (macro)" if n_classes > 2 else "test F1"


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
    headers = [*HEADERS[:F1_COLUMN], f1_header(report), *HEADERS[F1_COLUMN + 1:]]
    return headers + (["verdict"] if verdicts else []), rows


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


def threshold_section(threshold, report: dict) -> list[tuple]:
    """Two classes: the minority's metrics at 0.5 and at the exported threshold, and at the candidate
    tuned out of fold when it was not exported, side by side; the text says why (gain and noise)."""
    if not isinstance(threshold, dict) or not isnum(threshold.get("value")):
        return []
    name = class_names(report, 2)[threshold.get("class", 1)] if threshold.get("class") in (0, 1) else "?"
    candidate = threshold.get("candidate") if isinstance(threshold.get("candidate"), dict) else {}
    if threshold.get("exported", "tuned") == "tuned":  # reports before the rule exported the tuned cut always
        lines = [("0.5", threshold.get("at_0_5")), (f"{threshold['value']:.3f} (tuned on val, exported)", threshold.get("tuned"))]
    else:
        lines = [("0.5 (exported)", threshold.get("at_0_5"))]
        lines += [(f"{candidate['value']:.3f} (tuned out of fold, not exported)", candidate)] if isnum(candidate.get("value")) else []
    rows = [[label, split] + [fmt(get(scores, split, k)) for k in ("f1", "precision", "recall", "balanced_accuracy")]
            for label, scores in lines for split in ("val", "test")]
    told = " ".join(prefix + str(threshold[k]).rstrip(".") + "." for prefix, k in (("", "why"), ("The rule: ", "rule"))
                    if threshold.get(k))
    return [("h", 2, f"Decision threshold for '{name}'"), ("p", told),
            ("table", ["threshold", "split", "F1", "precision", "recall", "balanced accuracy"], rows)]
