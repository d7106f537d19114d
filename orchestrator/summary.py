"""What `gg-train list`, `show` and `report` print, read from experiment folders alone (no Ray,
no training): manifests for the status, report.json for the results."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from orchestrator import experiments
from orchestrator.errors import ExperimentError


def _age(created: str | None) -> str:
    if not created:
        return "?"
    seconds = (datetime.now(timezone.utc) - datetime.fromisoformat(created)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _read_report(folder: Path) -> dict | None:
    try:
        return json.loads((folder / experiments.REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _trial_progress(folder: Path, manifest: dict) -> str:
    if "trials" in manifest:
        t = manifest["trials"]
        return f"{t.get('completed', 0) + t.get('stopped_early', 0)}/{t.get('total', 0)}"
    started = len(list((folder / "tune").glob("*/result.json")))
    variants = len(manifest.get("search", {}))
    try:
        from orchestrator.config import load_config

        total = variants * load_config(folder / experiments.CONFIG_FILE).search.samples
    except Exception:  # an unreadable experiment.yaml still lists
        total = "?"
    return f"{started} started/{total}"


def experiments_table(runs_dir: Path):
    from rich.table import Table

    table = Table(title=f"experiments in {Path(runs_dir).resolve()}")
    for column in ("name", "status", "trials", "best variant", "test acc", "age"):
        table.add_column(column)
    for folder, manifest in experiments.list_experiments(runs_dir):
        report = _read_report(folder) or {}
        best = report.get("best") or {}
        accuracy = best.get("test", {}).get("accuracy")
        table.add_row(folder.name, experiments.effective_status(manifest), _trial_progress(folder, manifest),
                      best.get("variant", "-"), f"{accuracy:.3f}" if accuracy is not None else "-", _age(manifest.get("created")))
    return table


def show_lines(runs_dir: Path, name: str) -> list:
    from orchestrator.report import summary_table

    folder = experiments.existing(runs_dir, name)
    manifest = experiments.read_manifest(folder)
    status = experiments.effective_status(manifest)
    lines: list = [f"{name}: {status} ({_trial_progress(folder, manifest)} trials), created {manifest.get('created')}"]
    report = _read_report(folder)
    if report is None:
        hint = f"gg-train resume {name} --runs-dir {runs_dir}" if status == "interrupted" else "see manifest.json"
        return lines + [f"no report yet: {manifest.get('error') or hint}"]
    lines.append(summary_table(report))
    lines += [f"  {s}" for s in report.get("diagnosis", {}).get("summary", [])]
    lines.append(f"report: {folder / 'report.html'}")
    return lines


def regenerate(runs_dir: Path, name: str) -> dict[str, Path]:
    """Re-run the diagnosis and the rendering from report.json: no training, no test evaluation."""
    from orchestrator.checkpoint import write_json_atomic
    from orchestrator.diagnosis import diagnose
    from orchestrator.render import render

    folder = experiments.existing(runs_dir, name)
    report = _read_report(folder)
    if report is None:
        raise ExperimentError(f"experiment '{name}' has no report.json yet", f"finish it first: gg-train resume {name}")
    report["diagnosis"] = diagnose(report)
    write_json_atomic(folder / experiments.REPORT, report)
    return {"report.json": folder / experiments.REPORT, **render(report, folder)}
