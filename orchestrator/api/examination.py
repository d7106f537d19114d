"""What `orchestrator.doctor(...)` (and `orchestrator.load` of a doctor's folder) hands back: the
examination of a trained model as Python objects, read from the folder's doctor.json alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.errors import ExperimentError



def _report_file() -> str:
    from orchestrator.checkup.run import REPORT_FILE

    return REPORT_FILE


@dataclass(frozen=True)
class ExaminationPaths:
    """Where an examination's files are: doctor.json, doctor.md, doctor.html, logs/doctor.log."""

    folder: Path
    report_json: Path
    report_md: Path
    report_html: Path
    logs: Path

    @classmethod
    def of(cls, folder: Path) -> "ExaminationPaths":
        from orchestrator.driver.logfile import LOGS_DIR

        return cls(folder, folder / _report_file(), folder / "doctor.md", folder / "doctor.html", folder / LOGS_DIR)


@dataclass(frozen=True)
class Examination:
    """One `gg-train doctor` examination: the model's scores as it is, every cause's verdict (worst
    first), the primary cause, the repaired model if a mechanical cause was repaired, and the
    `gg-train launch` that searches a remedy when the cause is one a training recipe fixes.

        exam = orchestrator.doctor("model.keras", test="test.csv", data="train.csv", label="y")
        exam.primary, exam.findings[0]["fix"]
    """

    folder: Path
    report: dict = field(repr=False, compare=False)

    @classmethod
    def read(cls, folder: Path) -> "Examination":
        path = Path(folder) / _report_file()
        try:
            return cls(Path(folder), json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise ExperimentError(f"cannot read the doctor's report {path}: {exc}", "run the doctor again") from None

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def paths(self) -> ExaminationPaths:
        return ExaminationPaths.of(self.folder)

    @property
    def findings(self) -> list[dict]:
        """Every cause tested, confirmed first (the most test accuracy regained first): cause,
        verdict, summary, evidence and fix, as doctor.json orders them."""
        return list(self.report.get("findings") or [])

    @property
    def primary(self) -> str | None:
        """The confirmed cause whose correction regains the most test accuracy, or None."""
        return self.report.get("primary")

    @property
    def scores(self):
        """The model's metrics as it is (inference mode) on each split it was given, one row per
        split, next to the scikit-learn references' (`reference, <name>` rows)."""
        import pandas as pd

        rows = {split: scores for split, scores in (self.report.get("as_is") or {}).items() if scores}
        rows |= {f"reference, {ref['name']}": ref.get("test") or {} for ref in self.report.get("references") or []}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        return frame.drop(columns=[c for c in ("per_class", "confusion_matrix") if c in frame.columns])

    @property
    def repaired(self) -> dict | None:
        """The repaired model (path, repairs, test scores, whether its export was proven), or None."""
        return self.report.get("repaired")

    @property
    def next_command(self) -> str | None:
        """The `gg-train launch` that searches a remedy for the primary cause, when there is one."""
        return self.report.get("next")

    def __str__(self) -> str:
        return f"doctor {self.name}: primary cause {self.primary or 'none confirmed'}; {self.folder}"
