"""report.md / report.html from a real report.json (a copy of a 6-variant synthetic run), plus
reports with their optional fields missing or supplied by other tools."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from orchestrator.report.render import render

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sample_report.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def sample() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def outputs(report: dict, tmp_path: Path) -> tuple[dict, str, str]:
    written = render(report, tmp_path)
    return written, written["markdown"].read_text(encoding="utf-8"), written["html"].read_text(encoding="utf-8")


def test_sample_report_renders_self_contained(sample, tmp_path):
    written, md, page = outputs(sample, tmp_path)
    assert md.startswith("# Diagnosis: sample\n")
    assert page.count('<img src="data:image/png;base64,') >= 3
    assert 'src="http' not in page and "<script" not in page and "<link" not in page
    for v in sample["variants"]:
        assert v["variant"] in md and v["variant"] in page
    for name in ("learning_curves", "gap", "confusion"):
        assert written[name] == tmp_path / "plots" / f"{name}.png"
        assert written[name].read_bytes().startswith(PNG_MAGIC)
        assert f"](plots/{name}.png)" in md


def test_sections_come_in_order_with_the_honest_pick(sample, tmp_path):
    _, md, _ = outputs(sample, tmp_path)
    headings = ["# Diagnosis", "## How the winner was picked", "## Variants", "## Learning curves",
                "## Train − test accuracy gap", "## Confusion matrix", "## Data", "## Per class"]
    positions = [md.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "Winner: dropout_early_stopping (trial 8931f_00004), chosen by the lowest val_loss on the validation split" in md
    assert "evaluated once" in md and "val→test drop of +0.000" in md
    assert "| ★ dropout_early_stopping | completed | 12/12 | 0.847 | 0.780 | 0.780 | +0.067 |" in md
    assert "| baseline | completed | 12/12 | 0.980 | 0.790 | 0.820 | +0.160 | 0.820 | 0.753 |" in md


def test_a_report_without_a_diagnosis_gets_none_of_the_renderers_own(sample, tmp_path):
    """The diagnosis has one owner (results/diagnosis.py): the renderer never invents verdicts."""
    _, md, _ = outputs(sample, tmp_path)
    assert "has no diagnosis yet: gg-train report sample computes it" in md
    assert "overfit" not in md.lower() and "underfit" not in md.lower()


def test_the_rendered_diagnosis_is_the_one_results_computed(sample, tmp_path):
    from orchestrator.results.diagnosis import diagnose

    report = copy.deepcopy(sample)
    report["diagnosis"] = diagnose(report)
    _, md, _ = outputs(report, tmp_path)
    for sentence in report["diagnosis"]["summary"]:
        assert f"- {' '.join(sentence.split())}" in md


def test_supplied_diagnosis_and_optional_sections_are_rendered_and_escaped(sample, tmp_path):
    report = copy.deepcopy(sample)
    report["diagnosis"] = {"summary": ["The baseline <script>alert(1)</script> overfits & the rest do not."],
                           "verdicts": {"baseline": "overfits", "l2": "ok"}}
    report["data"]["checks"] = [{"name": "class balance", "status": "ok", "message": "52/48 <fine>"},
                                {"name": "duplicates", "status": "warn", "message": "3 rows in train and test"}]
    report["export"] = {"verified": True, "max_abs_diff": {"model.keras": 0.0, "saved_model": 1e-7},
                        "tolerance": 1e-5, "process": "fresh"}
    _, md, page = outputs(report, tmp_path)
    assert md.startswith("# Diagnosis: sample\n") and "No written diagnosis" not in md
    assert "- The baseline <script>alert(1)</script> overfits & the rest do not." in md
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; overfits &amp; the rest" in page
    assert "| verdict |" in md.splitlines()[md.splitlines().index("## Variants") + 2]
    assert "| overfits |" in md and '<td class="warn">warn</td>' in page and "52/48 &lt;fine&gt;" in page
    assert "Exported model verified: yes (process: fresh, tolerance 1e-05)." in md
    assert "| saved_model | 1.00e-07 |" in md


def test_verdicts_as_a_list_and_a_failed_export(sample, tmp_path):
    report = copy.deepcopy(sample)
    report["diagnosis"] = {"summary": "One sentence only.", "verdicts": [{"variant": "dropout", "verdict": "fits well"}]}
    report["export"] = {"verified": False, "error": "best/saved_model differs by 0.3"}
    _, md, _ = outputs(report, tmp_path)
    assert "- One sentence only." in md and "| fits well |" in md
    assert "Exported model verified: NO" in md and "- error: best/saved_model differs by 0.3" in md


def test_minimal_report_still_renders(tmp_path):
    written, md, page = outputs({"experiment": "empty"}, tmp_path)
    assert md.startswith("# Diagnosis: empty\n")
    assert "has no diagnosis yet" in md and "No model was selected" in md and "No variant has a result." in md
    assert set(written) == {"markdown", "html"} and "<img" not in page


def test_report_with_sparse_variants_and_no_best(sample, tmp_path):
    report = {"experiment": "sparse", "selection": {"metric": "val_accuracy", "mode": "max"}, "best": None,
              "variants": [{"variant": "a", "train": {"accuracy": 0.9}, "test": {"accuracy": 0.6}},
                           {"variant": "b", "status": "errored", "history": [{"epoch": 1, "loss": 0.7}, "junk"]},
                           "not a dict"],
              "variants_without_result": ["c"]}
    written, md, page = outputs(report, tmp_path)
    assert "| a | – | –/– | 0.900 | – | 0.600 | +0.300 | – | – |" in md
    assert "No result: c." in md and "has no diagnosis yet" in md
    assert {"gap", "learning_curves"} <= set(written) and "confusion" not in written
    assert page.count('<img src="data:image/png;base64,') == 2


def test_bad_confusion_matrix_is_skipped_not_fatal(sample, tmp_path):
    report = copy.deepcopy(sample)
    report["best"]["test"]["confusion_matrix"] = [[1, 2], [3]]
    report["data"]["class_names"] = ["<cat>", "dog"]
    written, md, page = outputs(report, tmp_path)
    assert "confusion" not in written and "## Confusion matrix" not in md
    assert "&lt;cat&gt;" in page  # per-class table uses the (escaped) class names


def test_the_data_section_says_the_test_rows_are_the_users_own_file(sample, tmp_path):
    given = copy.deepcopy(sample)
    given["data"].update(test_from="file", test_path="/data/Pima.te.csv")
    _, md, page = outputs(given, tmp_path)
    assert "your own file /data/Pima.te.csv, every row as given" in md and "/data/Pima.te.csv" in page
    _, md, _ = outputs(sample, tmp_path)
    assert "your own file" not in md
