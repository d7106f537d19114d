"""`runs/NAME/doctor.json` (schema_version 1) and the console summary, from what the examination found.

The JSON is the contract (issue 25's schema); the console shows the as-is scores with their
intervals and the findings worst first, in plain words, in the style of `gg-train launch`.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from orchestrator.checkup.causes import LAUNCH_REMEDIES, ranked
from orchestrator.checkup.references import reference_rows

SCHEMA_VERSION = 1
MARKS = {"confirmed": "bold red", "cannot_tell": "yellow", "ruled_out": "green", "not_applicable": "dim"}


def next_command(findings: list[dict], model_path, train_path, label: str | None, test_path=None) -> str | None:
    """The `gg-train launch` that searches remedies for this architecture on this data, when the primary
    kind of problem is one a training recipe fixes and launch can retrain this model file."""
    wanted = any(f["verdict"] == "confirmed" and f["cause"] in LAUNCH_REMEDIES for f in findings)
    if not wanted or train_path is None or Path(model_path).suffix != ".keras":  # launch retrains .keras files only
        return None
    command = f"gg-train launch --model {shlex.quote(str(model_path))} --data {shlex.quote(str(train_path))}"
    if test_path is not None and Path(test_path).suffix.lower() in (".csv", ".parquet"):  # what launch --test-data takes
        command += f" --test-data {shlex.quote(str(test_path))}"  # the search is then scored on the same test file
    return command + (f" --label {shlex.quote(label)}" if label else "")


def doctor_json(model, data, as_is: dict, references: list[dict], findings: list[dict], primary: str | None,
                next_cmd: str | None) -> dict:
    n = {s: (len(data.splits[s].y) if s in data.splits else 0) for s in ("train", "val", "test")}
    return {
        "schema_version": SCHEMA_VERSION,
        "model": {"path": str(model.path), "format": model.format, "inputs": model.inputs,
                  "outputs": [{"units": model.output_units}], "output_activation": model.output_activation,
                  "notes": model.notes},
        "data": {"n_train": n["train"], "n_val": n["val"], "n_test": n["test"], "classes": data.classes,
                 "class_to_unit": {c: i for i, c in enumerate(data.classes)}, "features": data.features,
                 "matched_by": data.fed_by, "ignored_columns": data.ignored, "notes": data.notes},
        "as_is": {s: as_is.get(s) for s in ("train", "val", "test")},
        "references": references,
        "findings": ranked(findings),
        "primary": primary,
        "repaired": None,
        "next": next_cmd,
    }


def _interval(scores: dict) -> str:
    low, high = scores["accuracy_interval"]
    return f"{scores['accuracy']:.3f} [{low:.3f}, {high:.3f}]"


def print_summary(console, report: dict, path) -> None:
    from rich.table import Table

    title = f"{report['model']['path']} as it is (inference mode)"
    table = Table(title=title)
    for column in ("split", "rows", "accuracy [95% interval]", "balanced accuracy", "log loss"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for split, scores in report["as_is"].items():
        if scores:
            table.add_row(split, str(scores["n"]), _interval(scores), f"{scores['balanced_accuracy']:.3f}", f"{scores['loss']:.3f}")
    for name, s in reference_rows(report):
        table.add_row(f"[dim]{name.replace('reference, ', '')}[/]", str(s["n"]), _interval(s), "", "")
    console.print(table)
    for f in report["findings"]:
        word = f["verdict"].replace("_", " ")
        console.print(f"  [{MARKS[f['verdict']]}]{word:>14}[/] {f['cause']}: {f['summary']}", highlight=False)
    primary = report["primary"]
    console.print(f"primary: {primary or 'none confirmed'}" + (f" — {next(f['fix'] for f in report['findings'] if f['cause'] == primary)}"
                                                              if primary else ""), highlight=False)
    repaired = report["repaired"]
    if repaired:
        proof = "verified in a fresh process" if repaired["verified"] else f"NOT verified: {repaired['error']}"
        console.print(f"repaired ({', '.join(repaired['repairs'])}): {repaired['path']} — {proof}; test accuracy "
                      f"{_interval(repaired['test'])} (as is: {report['as_is']['test']['accuracy']:.3f})", highlight=False)
    if report["next"]:
        console.print(f"next: {report['next']}", highlight=False)
    console.print(f"report: {path}", highlight=False)
