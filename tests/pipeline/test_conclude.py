"""`orchestrator.pipeline.conclude.finish`: report.json is kept before the export, and the pages written
after it carry the export's result, verified or not. A real report.json (the render
tests' sample) stands in for the evaluation; the export is replaced, so no TensorFlow runs."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestrator.pipeline import conclude

from orchestrator.folder import phases
from orchestrator.errors import ExportError

SAMPLE = Path(__file__).parents[1] / "fixtures" / "sample_report.json"
PROVEN = {"verified": True, "max_abs_diff": {"model.keras": 0.0, "saved_model": 1e-7}, "tolerance": 1e-5, "process": "fresh"}
NO_DATA = SimpleNamespace(test=SimpleNamespace(x=None), encoding=None, raw_test=None)  # only handed to the export


@pytest.fixture
def entered(monkeypatch) -> list[str]:
    """The phases `finish` enters, in order (no manifest needed)."""
    seen: list[str] = []
    monkeypatch.setattr(phases, "enter", lambda phase, exp_dir=None: seen.append(phase))
    return seen


def _evaluation() -> conclude.Evaluation:
    built = json.loads(SAMPLE.read_text(encoding="utf-8"))
    built.pop("export", None)
    return conclude.Evaluation(built, best=object())


def test_the_pages_written_after_the_export_say_it_was_verified(tmp_path, monkeypatch, entered):
    def proven(exp_dir: Path, *args) -> dict:
        assert "export" not in json.loads((exp_dir / "report.json").read_text())  # the evaluation is kept first
        return PROVEN

    monkeypatch.setattr("orchestrator.results.export.export_and_verify", proven)
    built = conclude.finish(NO_DATA, tmp_path, _evaluation())
    assert built["export"] == PROVEN and entered == [phases.EXPORT, phases.REPORT]
    assert json.loads((tmp_path / "report.json").read_text())["export"] == PROVEN
    for page in ("report.md", "report.html"):
        assert "Exported model verified: yes (process: fresh" in (tmp_path / page).read_text(encoding="utf-8")


def test_a_failed_proof_is_in_the_pages_before_it_stops_the_launch(tmp_path, monkeypatch, entered):
    def refused(*args):
        raise ExportError("best/saved_model differs from the evaluated model")

    monkeypatch.setattr("orchestrator.results.export.export_and_verify", refused)
    with pytest.raises(ExportError):
        conclude.finish(NO_DATA, tmp_path, _evaluation())
    assert entered == [phases.EXPORT]
    assert json.loads((tmp_path / "report.json").read_text())["export"]["verified"] is False
    for page in ("report.md", "report.html"):
        assert "Exported model verified: NO" in (tmp_path / page).read_text(encoding="utf-8")
    assert (tmp_path / "plots" / "gap.png").is_file()
