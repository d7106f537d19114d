"""A report dict → `report.md`, a self-contained `report.html` and PNGs under `plots/`.

The page is for someone who asks "why is test accuracy low?": the plain-language diagnosis comes
first, then how the winner was picked (on validation only, tested once), then the evidence. Both
outputs are emitted from one list of blocks so they cannot drift apart. The HTML embeds its plots
as base64 PNG and carries its CSS inline, so it opens anywhere (mail, CI artifact, offline) with no
scripts and no external requests; every piece of report text is escaped, since trial errors and
class names come from user data. Optional fields may be missing: sections without data are skipped.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from orchestrator.folder.files import write_bytes_atomic
from orchestrator.report.fields import class_names, fmt, get, isnum
from orchestrator.report.plots import draw_plots
from orchestrator.report.tables import threshold_section, variant_rows
from orchestrator.results.severity import rank

CSS = """body{font:15px/1.5 system-ui,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:1.6em;border-bottom:2px solid #d0d7de;padding-bottom:6px}h2{margin-top:1.6em;font-size:1.25em}
.diagnosis li{margin:4px 0}table{border-collapse:collapse;margin:8px 0;font-size:.92em}
th,td{border:1px solid #d0d7de;padding:4px 9px}th{background:#f6f8fa;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.ok,td.pass{color:#1a7f37}td.warn,td.warning{color:#9a6700}td.fail,td.error{color:#cf222e;font-weight:600}
figure{margin:10px 0}img{max-width:100%;height:auto}figcaption{color:#57606a;font-size:.88em}"""
STATUS_CLASSES = {"ok", "pass", "warn", "warning", "fail", "error"}
NUMBER = re.compile(r"[+\-−]?\d+(\.\d+)?(e[+\-]\d+)?(/\d+)?")


def render(report: dict, exp_dir: Path) -> dict[str, Path]:
    """Write the three outputs; returns {"markdown", "html", and one key per plot name} → path."""
    exp_dir = Path(exp_dir)
    (exp_dir / "plots").mkdir(parents=True, exist_ok=True)
    images = {name: png for name, png in draw_plots(report).items() if png}
    written = {name: exp_dir / "plots" / f"{name}.png" for name in images}
    for name, png in images.items():
        write_bytes_atomic(written[name], png)
    blocks = _blocks(report, images)
    title = f"gg-train report: {report.get('experiment', 'experiment')}"
    written["markdown"], written["html"] = exp_dir / "report.md", exp_dir / "report.html"
    # Atomic, like report.json: a disk that fills mid-write leaves the last whole report, never half of one.
    write_bytes_atomic(written["markdown"], to_markdown(blocks).encode("utf-8"))
    write_bytes_atomic(written["html"], to_html(blocks, images, title).encode("utf-8"))
    return written


def _diagnosis(report: dict) -> list[tuple]:
    summary = get(report, "diagnosis", "summary")
    summary = [summary] if isinstance(summary, str) else summary
    blocks: list[tuple] = [("h", 1, f"Diagnosis: {report.get('experiment', 'experiment')}")]
    if isinstance(summary, list) and summary:
        return blocks + [("ul", [str(s) for s in summary], "diagnosis")]
    # The diagnosis is results/diagnosis.py's alone; a report without one says how to compute it.
    return blocks + [("p", f"This report has no diagnosis yet: gg-train report {report.get('experiment', 'NAME')} computes it.")]


def _pick(report: dict) -> list[tuple]:
    sel, best = report.get("selection") or {}, report.get("best")
    blocks: list[tuple] = [("h", 2, "How the winner was picked")]
    if not best:
        return blocks + [("p", "No model was selected: no trial finished with a usable result.")]
    word = {"min": "lowest", "max": "highest"}.get(sel.get("mode"), "best")
    va, ta = get(best, "val", "accuracy"), get(best, "test", "accuracy")
    drop = f"{va - ta:+.3f}" if isnum(va) and isnum(ta) else "–"
    return blocks + [
        ("p", f"Winner: {best.get('variant')} (trial {best.get('trial_id', '?')}), chosen by the {word} "
              f"{sel.get('metric', '?')} on the validation split. The test split played no part in the choice "
              f"and was evaluated once, afterwards."),
        ("p", f"Validation accuracy {fmt(va)} → test accuracy {fmt(ta)}: a val→test drop of {drop}."),
    ]


def _evidence(report: dict, images: dict) -> list[tuple]:
    blocks: list[tuple] = []
    if "learning_curves" in images:
        blocks += [("h", 2, "Learning curves"), ("img", "learning_curves", "Training vs validation cross-entropy per "
                   "variant, without the L2 penalty; the training curve is fit's running mean, with dropout on.")]
    if "gap" in images:
        blocks += [("h", 2, "Train − test accuracy gap"), ("img", "gap", "Train minus test accuracy per variant, both "
                   "measured in inference mode on the saved checkpoint; ★ marks the chosen variant.")]
    if "training_size" in images:
        blocks += [("h", 2, "Would more data help?"), ("img", "training_size", "The winner's recipe retrained on fractions of "
                   "the training split (the test split untouched): " + str(get(report, "diagnosis", "learning_curve", "reason") or ""))]
    cm = get(report, "best", "test", "confusion_matrix")
    if "confusion" in images:
        names = class_names(report, len(cm))
        blocks += [("h", 2, "Confusion matrix of the chosen model (test)"), ("img", "confusion", "Rows: true class; columns: predicted."),
                   ("table", ["true \\ predicted"] + names, [[n] + [str(c) for c in r] for n, r in zip(names, cm)])]
    return blocks


def _tables(report: dict) -> list[tuple]:
    blocks: list[tuple] = []
    data = report.get("data") or {}
    if data:
        given = (f" The test rows are your own file {data['test_path']}, every row as given, never seen by a trial; train "
                 "and validation were split from the data." if data.get("test_from") == "file" and data.get("test_path") else "")
        blocks += [("h", 2, "Data"), ("p", f"Source {data.get('source', '?')}: {data.get('n_train', '?')} train / "
                   f"{data.get('n_val', '?')} val / {data.get('n_test', '?')} test rows.{given}")]
    # Warnings first, the worst first (`results.severity`, the diagnosis' order), then the checks that passed.
    checks = sorted((c for c in data.get("checks") or [] if isinstance(c, dict)),
                    key=lambda c: (c.get("status") not in ("warn", "fail"), rank(str(c.get("name")))))
    if checks:
        blocks.append(("table", ["check", "status", "message"], [[str(c.get(k, "")) for k in ("name", "status", "message")] for c in checks]))
    per_class = [p for p in get(report, "best", "test", "per_class") or [] if isinstance(p, dict)]
    if per_class:
        names = class_names(report, len(per_class))
        rows = [[n, fmt(p.get("precision")), fmt(p.get("recall")), fmt(p.get("f1")), fmt(p.get("support"), "g")]
                for n, p in zip(names, per_class)]
        blocks += [("h", 2, "Per class, chosen model (test)"), ("table", ["class", "precision", "recall", "F1", "support"], rows)]
    return (blocks + _model_section(report.get("model")) + threshold_section(get(report, "best", "threshold"), report)
            + _export_section(report.get("export")))


_MODEL_KINDS = {"mlp": "gg-train's MLP", "cnn": "gg-train's CNN family", "builder": "your builder", "file": "your saved model's architecture"}


def _model_section(model) -> list[tuple]:
    """Which model was trained, what its check noted and, for a saved model, what each variant changed."""
    if not isinstance(model, dict) or not model.get("kind"):
        return []
    what = _MODEL_KINDS.get(model["kind"], str(model["kind"])) + (f" ({model['ref']})" if model.get("ref") else "")
    blocks: list[tuple] = [("h", 2, "Model"), ("p", f"Trained: {what}, fresh weights in every trial.")]
    if model.get("notes"):
        blocks.append(("ul", [str(n) for n in model["notes"]], ""))
    changes = model.get("changes") or {}
    if changes:
        rows = [[str(v), "; ".join(map(str, c)) or "nothing"] for v, c in changes.items()]
        blocks += [("p", "What each variant changed in the architecture (rates shown for the first value of a searched range):"),
                   ("table", ["variant", "changed layers"], rows)]
    return blocks




def _export_section(export) -> list[tuple]:
    if not isinstance(export, dict) or not export:
        return []
    verified = {True: "yes", False: "NO"}.get(export.get("verified"), "unknown")
    blocks: list[tuple] = [("h", 2, "Export"), ("p", f"Exported model verified: {verified} (process: {export.get('process', '?')}, "
                                                     f"tolerance {export.get('tolerance', '?')}).")]
    diffs = export.get("max_abs_diff")
    if isinstance(diffs, dict):
        blocks.append(("table", ["artifact", "max |Δ| vs evaluated model"], [[str(k), fmt(v, ".2e")] for k, v in diffs.items()]))
    extra = [f"{k}: {v}" for k, v in export.items() if k not in ("verified", "process", "tolerance", "max_abs_diff")]
    return blocks + ([("ul", extra, "")] if extra else [])


def _variant_table(report: dict) -> list[tuple]:
    headers, rows = variant_rows(report)
    blocks: list[tuple] = [("h", 2, "Variants"), ("table", headers, rows) if rows else ("p", "No variant has a result.")]
    if report.get("variants_without_result"):
        blocks.append(("p", "No result: " + ", ".join(map(str, report["variants_without_result"])) + "."))
    return blocks


def _blocks(report: dict, images: dict) -> list[tuple]:
    return _diagnosis(report) + _pick(report) + _variant_table(report) + _evidence(report, images) + _tables(report)


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[tuple]) -> str:
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append("#" * block[1] + " " + block[2])
        elif kind == "p":
            out.append(block[1])
        elif kind == "ul":
            out.append("\n".join("- " + " ".join(str(item).split()) for item in block[1]))
        elif kind == "table":
            headers, rows = block[1], block[2]
            lines = ["| " + " | ".join(map(_md_cell, headers)) + " |", "|" + "|".join("---" for _ in headers) + "|"]
            out.append("\n".join(lines + ["| " + " | ".join(map(_md_cell, r)) + " |" for r in rows]))
        elif kind == "img":
            out.append(f"![{block[1].replace('_', ' ')}](plots/{block[1]}.png)\n\n*{block[2]}*")
    return "\n\n".join(out) + "\n"


def _td(text: str, first: bool) -> str:
    """Numbers right-aligned (not the row's label); known status words coloured."""
    plain = str(text).strip().lower()
    cls = plain if plain in STATUS_CLASSES else ("num" if not first and NUMBER.fullmatch(plain) else "")
    return f"<td class=\"{cls}\">{html.escape(str(text))}</td>" if cls else f"<td>{html.escape(str(text))}</td>"


def _html_block(block: tuple, images: dict) -> str:
    esc, kind = html.escape, block[0]
    if kind == "h":
        return f"<h{block[1]}>{esc(block[2])}</h{block[1]}>"
    if kind == "p":
        return f"<p>{esc(block[1])}</p>"
    if kind == "ul":
        items = "".join(f"<li>{esc(item)}</li>" for item in block[1])
        return f"<ul class=\"{esc(block[2])}\">{items}</ul>"
    if kind == "table":
        head = "".join(f"<th>{esc(str(h))}</th>" for h in block[1])
        body = "".join("<tr>" + "".join(_td(c, i == 0) for i, c in enumerate(row)) + "</tr>" for row in block[2])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    data = base64.b64encode(images[block[1]]).decode("ascii")
    return (f"<figure><img src=\"data:image/png;base64,{data}\" alt=\"{esc(block[2])}\">"
            f"<figcaption>{esc(block[2])}</figcaption></figure>")


def to_html(blocks: list[tuple], images: dict, title: str) -> str:
    body = "\n".join(_html_block(b, images) for b in blocks)
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body><main>\n{body}\n</main></body></html>\n")
