"""report.md/html and `gg-train show` print the answer worst first, as the diagnosis ranked it, and
list the data checks that warn before those that pass, the worst first."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.report.render import render
from orchestrator.results.diagnosis import diagnose
from tests.report.test_listing import FIXTURE, make

LEAK = {"name": "target_leakage", "status": "warn", "message": "1 column(s) alone predict the validation labels.",
        "numbers": {"columns": ["hoursw"], "balanced_accuracy": {"hoursw": 1.0}}}
REDUNDANT = {"name": "redundant_features", "status": "warn", "message": "'a' ~ 'b'.", "numbers": {}}


def leaky_report() -> dict:
    report = json.loads(FIXTURE.read_text(encoding="utf-8"))
    report["data"]["checks"] = [{"name": "class_imbalance", "status": "ok", "message": "Balanced.", "numbers": {}},
                                REDUNDANT, LEAK]
    report["diagnosis"] = diagnose(report)
    return report


def test_report_md_and_html_open_with_the_leak_and_list_warnings_worst_first(tmp_path):
    report = leaky_report()
    first = report["diagnosis"]["summary"][0]
    assert first.startswith("These scores are not real: 'hoursw' alone predicts the label")
    written = render(report, tmp_path)
    md, page = written["markdown"].read_text(encoding="utf-8"), written["html"].read_text(encoding="utf-8")
    assert md.split("\n- ", 1)[1].startswith(first[:60])
    assert page.index("These scores are not real") < page.index("The unregularized model memorizes")
    rows = [line.split("|")[1].strip() for line in md.splitlines() if line.startswith("| ") and "| warn |" in line
            or line.startswith("| class_imbalance")]
    assert rows == ["target_leakage", "redundant_features", "class_imbalance"]


def test_show_prints_the_summary_in_the_diagnosis_order(tmp_path):
    folder = make(tmp_path, "leaky", "finished", report=True)
    report = leaky_report()
    (folder / "report.json").write_text(json.dumps(report))
    result = CliRunner().invoke(app, ["show", "leaky", "--runs-dir", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    said = [line for line in lines if any(line.startswith(s[:40]) for s in report["diagnosis"]["summary"])]
    assert said[0].startswith("These scores are not real") and len(said) == len(report["diagnosis"]["summary"])
