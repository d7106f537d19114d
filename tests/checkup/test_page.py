"""doctor.html: written beside doctor.json, self-contained (pictures inline, nothing fetched), with the
confusion matrix as given and remapped, accuracy with intervals, drift per column and the transforms."""

from __future__ import annotations

import json
import re

import numpy as np


def _page(planted, tmp_path, cause: str) -> tuple[dict, str]:
    from orchestrator.checkup.run import DoctorRequest, doctor

    case = planted(cause)
    report, path = doctor(DoctorRequest(case["model"], case["test"], "label", case["train"]), tmp_path, "page")
    return report, (path.parent / "doctor.html").read_text(encoding="utf-8")


def _pictures(page: str) -> list[str]:
    return re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="([^"]*)"', page)


def test_doctor_html_is_self_contained_with_every_picture(planted, tmp_path):
    report, page = _page(planted, tmp_path, "label_mapping")
    assert page.startswith("<!doctype html>") and "<script" not in page.lower()
    links = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page, flags=re.IGNORECASE)
    assert links and all(link.startswith("data:image/png;base64,") for link in links), links
    captions = " ".join(_pictures(page))
    for words in ("labels as the test file spells them", "read as the class the best assignment", "95% intervals",
                  "Drift per column", "after each input transform"):
        assert words in captions
    assert "label_mapping" in page and json.loads((tmp_path / "page" / "doctor.json").read_text())["primary"] == "label_mapping"


def test_the_remapped_confusion_matrix_puts_the_planted_relabelling_back_on_the_diagonal(planted, tmp_path):
    from orchestrator.checkup.plots import remap

    report, _ = _page(planted, tmp_path, "label_mapping")
    cm = np.asarray(report["as_is"]["test"]["confusion_matrix"])
    mapping = next(f for f in report["findings"] if f["cause"] == "label_mapping")["evidence"]["mapping"]
    fixed = remap(cm, report["data"]["classes"], mapping)
    assert fixed.sum() == cm.sum() == report["data"]["n_test"]
    assert np.trace(cm) / cm.sum() < 0.2 and np.trace(fixed) / cm.sum() > 0.8


def test_without_training_rows_the_page_keeps_what_it_can_draw(planted, tmp_path):
    from orchestrator.checkup.run import DoctorRequest, doctor

    case = planted("healthy")
    _, path = doctor(DoctorRequest(case["model"], case["test"], "label"), tmp_path, "alone")
    captions = _pictures((path.parent / "doctor.html").read_text(encoding="utf-8"))
    assert len(captions) == 2  # the confusion matrix as given and accuracy; no mapping, drift or transforms to draw
