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
import io
import math
import re
from pathlib import Path

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
    images = {name: png for name, png in _plots(report).items() if png}
    written = {name: exp_dir / "plots" / f"{name}.png" for name in images}
    for name, png in images.items():
        written[name].write_bytes(png)
    blocks = _blocks(report, images)
    title = f"gg-train report: {report.get('experiment', 'experiment')}"
    written["markdown"], written["html"] = exp_dir / "report.md", exp_dir / "report.html"
    written["markdown"].write_text(to_markdown(blocks), encoding="utf-8")
    written["html"].write_text(to_html(blocks, images, title), encoding="utf-8")
    return written


def _isnum(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _num(value, fmt: str = ".3f") -> str:
    return format(value, fmt) if _isnum(value) else "–"


def _get(d, *keys):
    for key in keys:
        d = d.get(key) if isinstance(d, dict) else None
    return d


def _gap(v: dict):
    gap = _get(v, "gap", "accuracy_train_test")
    train, test = _get(v, "train", "accuracy"), _get(v, "test", "accuracy")
    return gap if _isnum(gap) else (train - test if _isnum(train) and _isnum(test) else None)


def _fallback_summary(report: dict) -> list[str]:
    """Written only when nobody supplied a diagnosis: what the train − test gaps alone say."""
    scored = [v for v in report.get("variants") or [] if isinstance(v, dict) and _gap(v) is not None]
    if not scored:
        return ["No variant produced a result, so there is nothing to compare yet; see the trials' errors."]
    worst, least = max(scored, key=_gap), min(scored, key=_gap)
    lines = [f"The largest train − test accuracy gap is {worst.get('variant')} ({_gap(worst):+.3f})"
             + (": it fits the training data much better than unseen data (overfitting)." if _gap(worst) > 0.05 else ".")]
    if least is not worst:
        lines.append(f"The smallest gap is {least.get('variant')} ({_gap(least):+.3f}).")
    acc, base = _get(report, "best", "test", "accuracy"), _get(report, "best", "test", "majority_accuracy")
    if _isnum(acc) and _isnum(base) and acc - base < 0.05:
        lines.append(f"The chosen model's test accuracy ({acc:.3f}) barely beats always predicting the majority class "
                     f"({base:.3f}): it learns little signal (underfitting, or features that carry little information).")
    return lines


def _diagnosis(report: dict) -> list[tuple]:
    summary = _get(report, "diagnosis", "summary")
    summary = [summary] if isinstance(summary, str) else summary
    blocks: list[tuple] = [("h", 1, f"Diagnosis: {report.get('experiment', 'experiment')}")]
    if isinstance(summary, list) and summary:
        return blocks + [("ul", [str(s) for s in summary], "diagnosis")]
    note = "No written diagnosis was supplied; these lines come from the variants' train − test gaps alone."
    return blocks + [("p", note), ("ul", _fallback_summary(report), "diagnosis")]


def _pick(report: dict) -> list[tuple]:
    sel, best = report.get("selection") or {}, report.get("best")
    blocks: list[tuple] = [("h", 2, "How the winner was picked")]
    if not best:
        return blocks + [("p", "No model was selected: no trial finished with a usable result.")]
    word = {"min": "lowest", "max": "highest"}.get(sel.get("mode"), "best")
    va, ta = _get(best, "val", "accuracy"), _get(best, "test", "accuracy")
    drop = f"{va - ta:+.3f}" if _isnum(va) and _isnum(ta) else "–"
    return blocks + [
        ("p", f"Winner: {best.get('variant')} (trial {best.get('trial_id', '?')}), chosen by the {word} "
              f"{sel.get('metric', '?')} on the validation split. The test split played no part in the choice "
              f"and was evaluated once, afterwards."),
        ("p", f"Validation accuracy {_num(va)} → test accuracy {_num(ta)}: a val→test drop of {drop}."),
    ]


def _verdicts(report: dict) -> dict:
    raw = _get(report, "diagnosis", "verdicts")
    if isinstance(raw, dict):
        return {k: (v.get("verdict", "") if isinstance(v, dict) else v) for k, v in raw.items()}
    if isinstance(raw, list):
        return {d.get("variant"): d.get("verdict", d.get("label", "")) for d in raw if isinstance(d, dict)}
    return {}


def _variant_table(report: dict) -> list[tuple]:
    variants = [v for v in report.get("variants") or [] if isinstance(v, dict)]
    best = _get(report, "best", "variant")
    verdicts = _verdicts(report)
    headers = ["variant", "status", "epochs", "train acc", "val acc", "test acc", "gap train−test", "test F1", "test loss"]
    rows = []
    for v in variants:
        row = [("★ " if v.get("variant") == best else "") + str(v.get("variant")), str(v.get("status", "–")).replace("_", " "),
               f"{v.get('epochs', '–')}/{v.get('max_epochs', '–')}", _num(_get(v, "train", "accuracy")),
               _num(_get(v, "val", "accuracy")), _num(_get(v, "test", "accuracy")), _num(_gap(v), "+.3f"),
               _num(_get(v, "test", "f1")), _num(_get(v, "test", "loss"))]
        rows.append(row + [str(verdicts.get(v.get("variant"), ""))] if verdicts else row)
    blocks: list[tuple] = [("h", 2, "Variants"), ("table", headers + (["verdict"] if verdicts else []), rows)]
    if not variants:
        blocks[1:] = [("p", "No variant has a result.")]
    if report.get("variants_without_result"):
        blocks.append(("p", "No result: " + ", ".join(map(str, report["variants_without_result"])) + "."))
    return blocks


def _class_names(report: dict, k: int) -> list[str]:
    names = [str(n) for n in _get(report, "data", "class_names") or []]
    return names if len(names) == k else [str(i) for i in range(k)]


def _evidence(report: dict, images: dict) -> list[tuple]:
    blocks: list[tuple] = []
    if "learning_curves" in images:
        blocks += [("h", 2, "Learning curves"), ("img", "learning_curves", "Training vs validation cross-entropy per "
                   "variant, without the L2 penalty; the training curve is fit's running mean, with dropout on.")]
    if "gap" in images:
        blocks += [("h", 2, "Train − test accuracy gap"), ("img", "gap", "Train minus test accuracy per variant, both "
                   "measured in inference mode on the saved checkpoint; ★ marks the chosen variant.")]
    cm = _get(report, "best", "test", "confusion_matrix")
    if "confusion" in images:
        names = _class_names(report, len(cm))
        blocks += [("h", 2, "Confusion matrix of the chosen model (test)"), ("img", "confusion", "Rows: true class; columns: predicted."),
                   ("table", ["true \\ predicted"] + names, [[n] + [str(c) for c in r] for n, r in zip(names, cm)])]
    return blocks


def _tables(report: dict) -> list[tuple]:
    blocks: list[tuple] = []
    data = report.get("data") or {}
    if data:
        blocks += [("h", 2, "Data"), ("p", f"Source {data.get('source', '?')}: {data.get('n_train', '?')} train / "
                   f"{data.get('n_val', '?')} val / {data.get('n_test', '?')} test rows.")]
    checks = [c for c in data.get("checks") or [] if isinstance(c, dict)]
    if checks:
        blocks.append(("table", ["check", "status", "message"], [[str(c.get(k, "")) for k in ("name", "status", "message")] for c in checks]))
    per_class = [p for p in _get(report, "best", "test", "per_class") or [] if isinstance(p, dict)]
    if per_class:
        names = _class_names(report, len(per_class))
        rows = [[n, _num(p.get("precision")), _num(p.get("recall")), _num(p.get("f1")), _num(p.get("support"), "g")]
                for n, p in zip(names, per_class)]
        blocks += [("h", 2, "Per class, chosen model (test)"), ("table", ["class", "precision", "recall", "F1", "support"], rows)]
    return blocks + _export_section(report.get("export"))


def _export_section(export) -> list[tuple]:
    if not isinstance(export, dict) or not export:
        return []
    verified = {True: "yes", False: "NO"}.get(export.get("verified"), "unknown")
    blocks: list[tuple] = [("h", 2, "Export"), ("p", f"Exported model verified: {verified} (process: {export.get('process', '?')}, "
                                                     f"tolerance {export.get('tolerance', '?')}).")]
    diffs = export.get("max_abs_diff")
    if isinstance(diffs, dict):
        blocks.append(("table", ["artifact", "max |Δ| vs evaluated model"], [[str(k), _num(v, ".2e")] for k, v in diffs.items()]))
    extra = [f"{k}: {v}" for k, v in export.items() if k not in ("verified", "process", "tolerance", "max_abs_diff")]
    return blocks + ([("ul", extra, "")] if extra else [])


def _blocks(report: dict, images: dict) -> list[tuple]:
    return _diagnosis(report) + _pick(report) + _variant_table(report) + _evidence(report, images) + _tables(report)


def _plots(report: dict) -> dict[str, bytes | None]:
    import matplotlib

    matplotlib.use("Agg")
    variants = [v for v in report.get("variants") or [] if isinstance(v, dict)]
    best = _get(report, "best", "variant")
    return {"learning_curves": _learning_curves(variants), "gap": _gap_chart(variants, best),
            "confusion": _confusion(report)}


def _png(fig) -> bytes:
    fig.savefig(buffer := io.BytesIO(), format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _learning_curves(variants: list[dict]) -> bytes | None:
    """Small multiples with a shared y axis, so curves compare across variants at a glance."""
    from matplotlib.figure import Figure

    with_history = [v for v in variants if isinstance(v.get("history"), list) and v["history"]]
    if not with_history:
        return None
    cols = min(3, len(with_history))
    rows = math.ceil(len(with_history) / cols)
    fig = Figure(figsize=(4.2 * cols, 2.9 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, sharey=True, squeeze=False).ravel()
    for ax, v in zip(axes, with_history):
        hist = [h for h in v["history"] if isinstance(h, dict)]
        for key, label, style in (("loss", "train", "-"), ("val_loss", "validation", "--")):
            points = [(h.get("epoch", i + 1), h[key]) for i, h in enumerate(hist) if _isnum(h.get(key))]
            if points:
                ax.plot(*zip(*points), style, marker=".", label=label)
        if _isnum(v.get("best_epoch")):
            ax.axvline(v["best_epoch"], color="grey", linestyle=":", linewidth=1, label="best epoch")
        ax.set(title=str(v.get("variant")), xlabel="epoch")
        ax.grid(alpha=0.3)
    for ax in axes[len(with_history):]:
        ax.set_visible(False)
    axes[0].set_ylabel("loss"), axes[0].legend(fontsize=8)
    return _png(fig)


def _gap_chart(variants: list[dict], best) -> bytes | None:
    from matplotlib.figure import Figure

    scored = [(str(v.get("variant")), _gap(v)) for v in variants if _gap(v) is not None]
    if not scored:
        return None
    names, gaps = zip(*scored)
    fig = Figure(figsize=(7, 0.45 * len(scored) + 1.2), layout="constrained")
    ax = fig.subplots()
    colors = ["#cf222e" if n == best else "#0969da" for n in names]
    ax.barh(range(len(names)), gaps, color=colors)
    ax.set_yticks(range(len(names)), [("★ " if n == best else "") + n for n in names])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    for i, g in enumerate(gaps):
        ax.text(g, i, f" {g:+.3f}", va="center", ha="left" if g >= 0 else "right", fontsize=9)
    ax.set_xlabel("train − test accuracy")
    ax.margins(x=0.15)
    return _png(fig)


def _confusion(report: dict) -> bytes | None:
    import numpy as np
    from matplotlib.figure import Figure

    try:
        cm = np.asarray(_get(report, "best", "test", "confusion_matrix") or [], dtype=float)
    except (TypeError, ValueError):  # ragged or non-numeric: no picture rather than no report
        return None
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.size == 0:
        return None
    k, names = cm.shape[0], _class_names(report, cm.shape[0])
    side = max(3.6, 0.55 * k + 2.2)
    fig = Figure(figsize=(side, side * 0.9), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(k), names, rotation=45 if k > 4 else 0)
    ax.set_yticks(range(k), names)
    ax.set(xlabel="predicted", ylabel="true")
    if k <= 20:
        for (i, j), count in np.ndenumerate(cm):
            ax.text(j, i, f"{count:g}", ha="center", va="center", color="white" if count > cm.max() / 2 else "black")
    return _png(fig)


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
