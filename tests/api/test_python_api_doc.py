"""docs/python-api.md runs: its ```python blocks, executed in order in one namespace in a fresh folder
(the example itself keeps to small settings: one trial per variant, 3 epochs, no learning curve),
return what the page says they return."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """(line, code) of each ```python block of `page`."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in FENCE.finditer(text)]


@pytest.mark.ray
@pytest.mark.examples
@pytest.mark.long
def test_the_python_api_page_runs_and_returns_what_it_says(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "python_api_page"}
    for line, code in python_blocks(PAGE):
        exec(compile("\n" * (line - 1) + code, str(PAGE), "exec"), namespace)  # a failure names the page's line
    exp, exam, test = namespace["exp"], namespace["exam"], namespace["test"]
    report = json.loads(exp.paths.report_json.read_text(encoding="utf-8"))

    assert exp.status == "finished" and len(report["variants"]) == 6
    assert list(exp.trials.index) == [t["trial_id"] for t in report["all_trials"]] and len(exp.trials) == 6  # one row per trial
    assert exp.trials["val_loss"].tolist() == [t["val_loss"] for t in report["all_trials"]]
    assert exp.findings and [f["sentence"] for f in exp.findings] == report["diagnosis"]["summary"][-len(exp.findings):]
    assert exp.test_metrics == report["best"]["test"]

    probabilities = namespace["probabilities"]
    assert list(probabilities.columns) == ["Adelie", "Chinstrap", "Gentoo"] and list(probabilities.index) == list(test.index[:3])
    assert probabilities.sum(axis="columns").round(4).eq(1).all()
    assert exp.model is exp.model and exp.model.name  # loaded once, on first use
    assert namespace["again"].variants.equals(exp.variants)

    assert exam.primary == "preprocessing_mismatch" and exam.repaired["verified"]
    assert exam.findings[0]["cause"] == "preprocessing_mismatch" and len(exam.findings) > 5
    assert {p.name for p in Path("runs").iterdir()} == {"penguins", exam.name}, "the refused launch left a folder"

    out = capsys.readouterr().out
    assert "gg-train: 6 trials (6 variants × 1)" in out and "[6/6]" in out  # gg-train's own lines, under the cell
    assert "data error: cannot tell the format of 'penguins.txt'" in out
    assert (exp.paths.logs / "driver.log").stat().st_size > 0  # Ray's and TensorFlow's lines went there
