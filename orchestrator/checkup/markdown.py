"""`runs/NAME/doctor.md`: doctor.json for a person to read, rendered from it alone (computes nothing).

The as-is scores with their intervals, the references, every finding worst first with its verdict,
numbers and rule, the primary cause, the repair and the way on.
"""

from __future__ import annotations

import json

from orchestrator.checkup.references import reference_rows


def _accuracy(scores: dict | None) -> str:
    if not scores:
        return "—"
    low, high = scores["accuracy_interval"]
    return f"{scores['accuracy']:.3f} [{low:.3f}, {high:.3f}]"


def _scores_table(report: dict) -> list[str]:
    lines = ["| split | rows | accuracy [95% interval] | balanced accuracy | log loss |", "| --- | ---: | ---: | ---: | ---: |"]
    for split, s in report["as_is"].items():
        if s:
            lines.append(f"| {split} | {s['n']} | {_accuracy(s)} | {s['balanced_accuracy']:.3f} | {s['loss']:.3f} |")
    for name, s in reference_rows(report):
        lines.append(f"| {name} | {s['n']} | {_accuracy(s)} | | |")
    return lines


def _finding(f: dict) -> list[str]:
    numbers = {k: v for k, v in f["evidence"].items() if v is not None}
    lines = [f"### {f['cause']}: {f['verdict'].replace('_', ' ')}", "", f["summary"], ""]
    if f["fix"] and f["verdict"] == "confirmed":
        lines += [f"**Fix:** {f['fix']}", ""]
    return lines + [f"Rule: {f['rule']}.", "", f"Numbers: `{json.dumps(numbers)}`", ""]


def render(report: dict) -> str:
    model, data = report["model"], report["data"]
    lines = [f"# Why does `{model['path']}` score low on test?", "",
             f"A {model['format']} model examined as it is, in inference mode: {data['n_train']} training, "
             f"{data['n_val']} validation and {data['n_test']} test rows; classes {data['classes']} are output units "
             f"{list(data['class_to_unit'].values())} (sorted order); "
             + ("images fed as raw pixels." if data["matched_by"] == "image" else f"columns matched by {data['matched_by']}."), "",
             *[f"Note: {note}." for note in data.get("notes", [])], *([""] if data.get("notes") else []),
             "## As it is", "", *_scores_table(report), "",
             f"## Primary cause: {report['primary'] or 'none confirmed'}", ""]
    for f in report["findings"]:
        lines += _finding(f)
    repaired = report.get("repaired")
    if repaired:
        proof = "verified in a fresh process" if repaired["verified"] else f"not verified: {repaired['error']}"
        lines += ["## Repaired", "", f"`{repaired['path']}` ({', '.join(repaired['repairs'])}): {proof}; test accuracy "
                  f"{_accuracy(repaired['test'])}.", ""]
    if report.get("next"):
        lines += ["## The way on", "", f"`{report['next']}` searches regularization and training remedies for this "
                  "architecture on this data.", ""]
    return "\n".join(lines)
