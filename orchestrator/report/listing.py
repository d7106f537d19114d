"""What `gg-train list` and `show` print, read from experiment folders alone (no Ray, no training):
manifests for the status, report.json (upgraded to the current schema) for the results."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from orchestrator.folder import experiments, tune_state
from orchestrator.report.contract import read_report, upgrade_trial_counts
from orchestrator.report.tables import variant_table
from orchestrator.tuning.outcomes import USABLE


def _age(created: str | None) -> str:
    if not created:
        return "?"
    seconds = (datetime.now(timezone.utc) - datetime.fromisoformat(created)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _trial_progress(folder: Path, manifest: dict) -> str:
    if "trials" in manifest:
        t = upgrade_trial_counts(manifest["trials"])
        return f"{sum(t.get(status, 0) for status in USABLE)}/{t.get('total', 0)}"
    started = tune_state.started_trials(folder)
    variants = len(manifest.get("search", {}))
    try:
        from orchestrator.config import load_config

        total = variants * load_config(folder / experiments.CONFIG_FILE).search.samples
    except Exception:  # an unreadable experiment.yaml still lists
        total = "?"
    return f"{started} started/{total}"


def _status(manifest: dict) -> str:
    """The effective status, and for a launch that did not end well the phase it stopped in."""
    status = experiments.effective_status(manifest)
    phase = manifest.get("phase")
    return f"{status} in {phase}" if status in ("interrupted", "failed") and phase else status


def experiments_table(runs_dir: Path):
    from rich.table import Table

    table = Table(title=f"experiments in {Path(runs_dir).resolve()}")
    for column in ("name", "status", "trials", "best variant", "test acc", "age"):
        table.add_column(column)
    for folder, manifest in experiments.list_experiments(runs_dir):
        report = read_report(folder) or {}
        best = report.get("best") or {}
        accuracy = best.get("test", {}).get("accuracy")
        table.add_row(folder.name, _status(manifest), _trial_progress(folder, manifest),
                      best.get("variant", "-"), f"{accuracy:.3f}" if accuracy is not None else "-", _age(manifest.get("created")))
    return table


def show_lines(runs_dir: Path, name: str) -> list:
    folder = experiments.existing(runs_dir, name)
    manifest = experiments.read_manifest(folder)
    status = _status(manifest)
    lines: list = [f"{name}: {status} ({_trial_progress(folder, manifest)} trials), created {manifest.get('created')}"]
    report = read_report(folder)
    if report is None:
        hint = f"gg-train resume {name} --runs-dir {runs_dir}" if status.startswith("interrupted") else "see manifest.json"
        return lines + [f"no report yet: {manifest.get('error') or hint}"]
    lines.append(variant_table(report))
    lines += [f"  {s}" for s in report.get("diagnosis", {}).get("summary", [])]
    lines.append(f"report: {folder / 'report.html'}")
    return lines
