"""The doctor's pipeline: load, match, score as is, test every cause, write `doctor.json`. Trains nothing.

Every input is read and checked before the experiment folder is made, so bad input leaves nothing
behind; the report is written atomically once the examination is complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.checkup import causes, scores
from orchestrator.checkup.exam import Exam
from orchestrator.checkup.loading import load_user_model
from orchestrator.checkup.references import reference_scores, score
from orchestrator.checkup.report import doctor_json, next_command
from orchestrator.checkup.tables import match_data
from orchestrator.errors import ExperimentError

REPORT_FILE = "doctor.json"


@dataclass
class DoctorRequest:
    model: Path
    test: Path
    label: str | None
    train: Path | None = None
    val: Path | None = None
    features: list[str] | None = None


def as_is_scores(exam: Exam) -> dict:
    """Each split's metrics with the model exactly as loaded, read as the user reads it. Validation and
    test outputs come from the exam's cache, which the causes read again; training rows are scored
    whole (the exam examines a sample of them)."""
    data, n_classes = exam.data, exam.n_classes
    counts = scores.class_counts(data.splits, n_classes)
    outputs = {name: exam.model.outputs(split.x) if name == "train" else exam.raw(name) for name, split in data.splits.items()}
    return {name: scores.split_scores(split.y, scores.as_read(outputs[name]), n_classes, counts)
            for name, split in data.splits.items()}


def examine(request: DoctorRequest) -> tuple[dict, Exam]:
    """The whole examination as doctor.json's dict (nothing written), and the exam with its corrections."""
    model = load_user_model(request.model)
    data = match_data(model, {"train": request.train, "val": request.val, "test": request.test}, request.label,
                      request.features)
    references, reference_predictions = reference_scores(data.splits)
    exam = Exam(model, data, reference_predictions)
    as_is = as_is_scores(exam)
    findings = causes.run_all(exam)
    if exam.test_units is not None:  # label_mapping confirmed: the references are scored on the relabelled test file too
        for ref in references:
            ref["test_remapped"] = score(reference_predictions[ref["name"]], exam.y_examined("test"))
    return doctor_json(model, data, as_is, references, findings, causes.primary(findings),
                       next_command(findings, request.model, request.train, request.label, request.test)), exam


def doctor(request: DoctorRequest, runs_dir: Path, name: str) -> tuple[dict, Path]:
    """Examine, repair what is mechanical, then write runs_dir/name/doctor.md, doctor.html and doctor.json; returns (report, its path)."""
    from orchestrator.driver import logfile
    from orchestrator.checkup.repair import write_repair
    from orchestrator.folder.experiments import experiment_dir
    from orchestrator.checkup.markdown import render
    from orchestrator.checkup.page import render_html
    from orchestrator.folder.files import write_bytes_atomic, write_json_atomic

    if (Path(runs_dir) / name).exists():  # the doctor never replaces a folder: launch's --overwrite is not offered here
        raise ExperimentError(f"'{name}' already exists in {runs_dir}", "pick another --name")
    folder = experiment_dir(runs_dir, name)  # the name is checked before any work
    report, exam = examine(request)
    folder.mkdir(parents=True)
    logfile.attach(folder, "doctor.log")  # TensorFlow's lines, buffered until now, go on into this log
    confirmed = {f["cause"] for f in report["findings"] if f["verdict"] == "confirmed"}
    report["repaired"] = write_repair(exam, confirmed, folder)
    path = folder / REPORT_FILE
    write_bytes_atomic(folder / "doctor.md", render(report).encode("utf-8"))
    write_bytes_atomic(folder / "doctor.html", render_html(report).encode("utf-8"))
    write_json_atomic(path, report)
    return report, path
