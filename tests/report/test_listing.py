"""`gg-train list` and `show` read experiment folders alone; statuses stay true across crashes."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.folder.experiments import effective_status

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sample_report.json"


def make(runs: Path, name: str, status: str, pid: int = 1, report: bool = False) -> Path:
    folder = runs / name
    folder.mkdir(parents=True)
    manifest = {"name": name, "status": status, "pid": pid, "host": socket.gethostname(), "created": "2026-11-30T10:00:00+00:00",
                "search": {"baseline": {}, "l2": {}}}
    if status == "failed":
        manifest["error"] = "RuntimeError: boom"
    if report:
        shutil.copy(FIXTURE, folder / "report.json")
        manifest["trials"] = {"total": 6, "completed": 5, "stopped_early": 1}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_a_running_launch_whose_process_is_gone_is_interrupted():
    dead = {"status": "running", "pid": 999_999_999, "host": socket.gethostname()}
    assert effective_status(dead) == "interrupted"
    import os

    assert effective_status({**dead, "pid": os.getpid()}) == "running"
    assert effective_status({**dead, "host": "elsewhere"}) == "running"  # cannot tell from here


def test_list_shows_each_status(tmp_path):
    make(tmp_path, "done", "finished", report=True)
    make(tmp_path, "killed", "running", pid=999_999_999)
    make(tmp_path, "stopped", "interrupted")
    make(tmp_path, "broken", "failed")
    result = CliRunner().invoke(app, ["list", "--runs-dir", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert "finished" in rows["done"] and "dropout_early_stopping" in rows["done"] and "0.780" in rows["done"]
    assert "interrupted" in rows["killed"] and "interrupted" in rows["stopped"]
    assert "failed" in rows["broken"]


def test_show_prints_the_table_or_says_why_there_is_none(tmp_path):
    make(tmp_path, "done", "finished", report=True)
    make(tmp_path, "stopped", "interrupted")
    make(tmp_path, "broken", "failed")
    done = CliRunner().invoke(app, ["show", "done", "--runs-dir", str(tmp_path)], terminal_width=200)
    assert done.exit_code == 0 and "finished" in done.output and "baseline" in done.output and "★" in done.output
    stopped = CliRunner().invoke(app, ["show", "stopped", "--runs-dir", str(tmp_path)])
    assert "interrupted" in stopped.output and "gg-train resume stopped" in stopped.output
    broken = CliRunner().invoke(app, ["show", "broken", "--runs-dir", str(tmp_path)])
    assert "failed" in broken.output and "RuntimeError: boom" in broken.output
    missing = CliRunner().invoke(app, ["show", "nope", "--runs-dir", str(tmp_path)])
    assert missing.exit_code == 2 and "no experiment 'nope'" in missing.stderr


def test_report_regenerates_markdown_and_html_without_training(tmp_path):
    folder = make(tmp_path, "done", "finished", report=True)
    result = CliRunner().invoke(app, ["report", "done", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").is_file() and (folder / "report.md").is_file()
    report = json.loads((folder / "report.json").read_text())
    assert report["diagnosis"]["summary"] and "overfit" in {v["verdict"] for v in report["diagnosis"]["verdicts"]}
    assert report["diagnosis"]["summary"][0] in (folder / "report.md").read_text()


def test_a_schema_1_report_is_read_in_schema_2_words(tmp_path):
    """Experiments written before the status words were renamed still show, list and regenerate."""
    folder = make(tmp_path, "old", "finished", report=True)
    old = json.loads(FIXTURE.read_text())
    assert old["schema_version"] == 1 and old["trials"]["early_stopping"] == 1
    shown = CliRunner().invoke(app, ["show", "old", "--runs-dir", str(tmp_path)], terminal_width=200)
    row = next(line for line in shown.output.splitlines() if "│ early_stopping " in line)
    assert "early stopped" in row and "early_stopping │ early_stopping" not in row
    listed = CliRunner().invoke(app, ["list", "--runs-dir", str(tmp_path)], terminal_width=200)
    assert "6/6" in listed.output  # the manifest's schema-1 counts: 5 completed (+1 early) + 1 stopped
    assert CliRunner().invoke(app, ["report", "old", "--runs-dir", str(tmp_path)]).exit_code == 0
    new = json.loads((folder / "report.json").read_text())
    assert new["schema_version"] == 2
    assert new["trials"] == {"total": 6, "finished": old["trials"]["completed"], "completed": old["trials"]["completed"] - 1,
                             "early_stopped": 1, "stopped_by_asha": old["trials"]["stopped_early"],
                             "diverged": old["trials"]["diverged"], "errored": old["trials"]["errored"]}
    statuses = {t["status"] for t in new["all_trials"]} | {v["status"] for v in new["variants"]}
    assert statuses <= {"completed", "early_stopped", "stopped_by_asha", "diverged", "errored"} and "early_stopped" in statuses
