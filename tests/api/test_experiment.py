"""`Experiment` and `Examination`: an experiment folder's files read as Python objects, the same numbers."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

import orchestrator
from orchestrator.errors import ExperimentError
from orchestrator.report.contract import read_report
from orchestrator.results.diagnosis import diagnose

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sample_report.json"


def _experiment(runs: Path, name: str = "done", report: bool = True, status: str = "finished") -> Path:
    folder = runs / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"name": name, "status": status, "host": socket.gethostname(), "pid": 1,
                                                      "data": {"kind": "table", "class_names": ["0", "1"]}}))
    if report:
        shutil.copy(FIXTURE, folder / "report.json")
        upgraded = read_report(folder)
        for i, trial in enumerate(upgraded["all_trials"]):  # as today's reports hold them (the fixture predates them)
            trial["hparams"] = {"learning_rate": 0.001 * (i + 1), "hidden": [8 * (i + 1), 4]}
        upgraded["diagnosis"] = diagnose(upgraded)
        (folder / "report.json").write_text(json.dumps(upgraded))
    return folder


def test_load_reads_trials_variants_findings_and_metrics_as_report_json_holds_them(tmp_path):
    folder = _experiment(tmp_path)
    report = json.loads((folder / "report.json").read_text())
    exp = orchestrator.load("done", runs_dir=tmp_path)
    assert isinstance(exp, orchestrator.Experiment) and exp.status == "finished" and exp.name == "done"
    trials = exp.trials
    assert list(trials.index) == [t["trial_id"] for t in report["all_trials"]]
    assert trials["val_loss"].tolist() == [t["val_loss"] for t in report["all_trials"]]
    for key in ("learning_rate", "hidden"):
        assert trials[key].tolist() == [t["hparams"][key] for t in report["all_trials"]]
    variants = exp.variants
    assert list(variants.index) == [v["variant"] for v in report["variants"]]
    assert variants["test_accuracy"].tolist() == [v["test"]["accuracy"] for v in report["variants"]]
    assert variants["verdict"].tolist() == [v["verdict"] for v in report["diagnosis"]["verdicts"]]
    assert exp.findings == report["diagnosis"]["findings"] and exp.findings, "the findings, worst first, as written"
    assert exp.test_metrics == report["best"]["test"]
    assert exp.paths.model == folder / "best" / "model.keras" and exp.paths.report_html == folder / "report.html"
    assert "best dropout_early_stopping" in str(exp)


def test_a_model_is_refused_without_a_verified_export_and_an_unfinished_one_has_no_tables(tmp_path):
    exp = orchestrator.load(_experiment(tmp_path).name, runs_dir=tmp_path)
    with pytest.raises(ExperimentError, match="no verified exported model"):
        exp.model
    unfinished = orchestrator.load(_experiment(tmp_path, "cut", report=False, status="interrupted").name, runs_dir=tmp_path)
    assert unfinished.status == "interrupted" and "no report yet" in str(unfinished)
    with pytest.raises(ExperimentError, match="no report yet") as err:
        unfinished.trials
    assert "orchestrator.resume('cut')" in str(err.value)


def test_load_of_a_doctor_folder_is_an_examination_and_of_nothing_one_error(tmp_path):
    (tmp_path / "exam").mkdir()
    findings = [{"cause": "preprocessing_mismatch", "verdict": "confirmed", "summary": "s", "fix": "f"},
                {"cause": "overfitting", "verdict": "ruled_out", "summary": "t", "fix": "g"}]
    scores = {"n": 10, "accuracy": 0.5, "per_class": [], "confusion_matrix": [[1]]}
    (tmp_path / "exam" / "doctor.json").write_text(json.dumps({
        "findings": findings, "primary": "preprocessing_mismatch", "as_is": {"train": scores, "val": None, "test": scores},
        "references": [{"name": "majority", "test": {"n": 10, "accuracy": 0.6}}], "repaired": None, "next": None}))
    exam = orchestrator.load("exam", runs_dir=tmp_path)
    assert isinstance(exam, orchestrator.Examination)
    assert exam.primary == "preprocessing_mismatch" and exam.findings == findings
    assert list(exam.scores.index) == ["train", "test", "reference, majority"] and "per_class" not in exam.scores.columns
    with pytest.raises(ExperimentError, match="no experiment 'nothing'"):
        orchestrator.load("nothing", runs_dir=tmp_path)
