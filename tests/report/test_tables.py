"""The variants table and the threshold table: whose F1 they show, and which threshold was exported."""

from __future__ import annotations

from orchestrator.report.tables import threshold_section, variant_rows


def _report(test: dict, names=("fraud", "legit"), threshold=None) -> dict:
    return {"data": {"class_names": list(names)}, "best": {"variant": "baseline", "threshold": threshold},
            "variants": [{"variant": "baseline", "status": "completed", "train": {"accuracy": 0.9}, "val": {"accuracy": 0.9},
                          "test": test}]}


def test_the_f1_column_names_the_class_it_is_about():
    headers, rows = variant_rows(_report({"accuracy": 0.9, "f1": 0.0, "positive_class": 0}))
    assert "test F1 (fraud)" in headers and rows[0][headers.index("test F1 (fraud)")] == "0.000"
    headers, _ = variant_rows(_report({"accuracy": 0.5, "f1": 0.4}, names=("a", "b", "c")))
    assert "test F1 (macro)" in headers
    assert "test F1" in variant_rows(_report({"accuracy": 0.9, "f1": 0.9}))[0]  # an older report does not say whose


def _threshold(exported: str) -> dict:
    scores = {"val": {"f1": 0.4}, "test": {"f1": 0.3}}
    candidate = {"value": 0.96, "gain": 0.05, "noise": 0.2, "val": {"f1": 0.45}, "test": {"f1": 0.07}}
    return {"class": 0, "value": 0.5 if exported == "0.5" else 0.96, "exported": exported, "rule": "the rule",
            "why": "0.5 kept: a gain of +0.05, within its noise (± 0.20)", "at_0_5": scores, "tuned": scores, "candidate": candidate}


def test_the_threshold_table_says_which_cut_was_exported_and_shows_the_candidate_and_its_noise():
    blocks = threshold_section(_threshold("0.5"), _report({}))
    assert blocks[0] == ("h", 2, "Decision threshold for 'fraud'")
    assert "within its noise (± 0.20)" in blocks[1][1]
    labels = [row[0] for row in blocks[2][2]]
    assert labels == ["0.5 (exported)"] * 2 + ["0.960 (tuned out of fold, not exported)"] * 2
    assert blocks[2][2][3][2] == "0.070"  # the candidate's test F1, shown though it played no part
    tuned = [row[0] for row in threshold_section(_threshold("tuned"), _report({}))[2][2]]
    assert tuned == ["0.5", "0.5", "0.960 (tuned on val, exported)", "0.960 (tuned on val, exported)"]
