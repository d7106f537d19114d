"""`gg-train report`: the diagnosis and the rendering again, from report.json alone."""

from __future__ import annotations

from pathlib import Path

from orchestrator.driver import logfile

from orchestrator.folder import disk, experiments
from orchestrator.errors import ExperimentError


def regenerate(runs_dir: Path, name: str) -> dict[str, Path]:
    """Re-run the diagnosis and the rendering from report.json; no training, no test evaluation. A
    schema-1 report is upgraded on the way (`report.contract.upgrade`)."""
    from orchestrator.report import contract
    from orchestrator.report.render import render
    from orchestrator.results.diagnosis import diagnose

    folder = experiments.existing(runs_dir, name)
    logfile.attach(folder, "report.log")  # under `gg-train report`: what the plotting libraries say goes there
    report = contract.read_report(folder)
    if report is None:
        raise ExperimentError(f"experiment '{name}' has no report.json yet", f"finish it first: gg-train resume {name}")
    report["diagnosis"] = diagnose(report)
    try:
        path = contract.write(folder, report)
        return {"report.json": path, **render(report, folder)}
    except OSError as exc:
        if disk.is_full(exc):  # every file is written whole or not at all: what was there stays readable
            raise disk.full_error(folder, "the report files not rewritten are as they were", then="report") from exc
        raise
