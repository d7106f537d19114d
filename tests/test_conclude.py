"""`orchestrator.conclude.finish`: the report's plots are drawn while the export is proven, and the
pages written after it carry the export's result, verified or not. A real report.json (the render
tests' sample) stands in for the evaluation; the export is replaced, so no TensorFlow runs."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestrator import conclude, phases
from orchestrator.errors import ExportError

SAMPLE = Path(__file__).parent / "fixtures" / "sample_report.json"
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


@pytest.fixture
def drawn(monkeypatch) -> threading.Event:
    """Set once the report's plots are drawn."""
    from orchestrator.report import render

    done, draw = threading.Event(), render.draw

    def drawing(report: dict) -> dict:
        images = draw(report)
        done.set()
        return images

    monkeypatch.setattr(render, "draw", drawing)
    return done


def test_the_plots_are_drawn_while_the_export_is_proven_and_the_pages_say_it_was(tmp_path, monkeypatch, entered, drawn):
    def export_once_the_plots_are_drawn(exp_dir: Path, *args) -> dict:
        """The proof, which returns only once the plots are drawn: meanwhile, or never."""
        assert drawn.wait(60), "the plots were not drawn while the export ran"  # a guard against a hang, not a measurement
        assert "export" not in json.loads((exp_dir / "report.json").read_text())  # the evaluation is kept first
        assert not (exp_dir / "plots").exists()  # the report's files are the report phase's
        return PROVEN

    monkeypatch.setattr("orchestrator.results.export.export_and_verify", export_once_the_plots_are_drawn)
    built = conclude.finish(NO_DATA, tmp_path, _evaluation())
    assert built["export"] == PROVEN and entered == [phases.EXPORT, phases.REPORT]
    assert json.loads((tmp_path / "report.json").read_text())["export"] == PROVEN
    md, page = ((tmp_path / name).read_text(encoding="utf-8") for name in ("report.md", "report.html"))
    assert "Exported model verified: yes (process: fresh" in md and "Exported model verified: yes (process: fresh" in page
    assert "](plots/gap.png)" in md and page.count("data:image/png;base64,") >= 3  # the plots drawn meanwhile, in both
    assert (tmp_path / "plots" / "gap.png").is_file()


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
