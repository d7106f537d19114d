"""Data gg-train did not generate: scikit-learn's bundled breast-cancer (binary, CSV with string
labels) and wine (3 classes, NPZ) tables, through `--data`/`--label` as a user would pass them."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.config import build_config
from orchestrator.launch import launch

pytestmark = pytest.mark.ray


def _config(runs, data: dict) -> object:
    return build_config({
        "name": "real", "seed": 0, "data": data, "training": {"epochs": 40},
        "hparams": {"learning_rate": 0.003, "patience": 8},
        "variants": [{"kind": "baseline"}, {"kind": "dropout_early_stopping"}],
        "search": {"enabled": False, "samples": 1}, "scheduler": {"type": "none"}, "diagnosis": {"learning_curve": False},
        "output": {"runs_dir": str(runs)},
    })


def test_breast_cancer_csv_with_string_labels(ray_local, tmp_path):
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.rename(columns=lambda c: c.replace(" ", "_"))
    frame["diagnosis"] = np.where(frame.pop("target") == 1, "benign", "malignant")
    csv = tmp_path / "patients.csv"
    frame.to_csv(csv, index=False)
    result = launch(_config(tmp_path / "runs", {"source": "csv", "path": str(csv), "label": "diagnosis"}), name="cancer")
    report = result.report
    assert report["task"] == "binary" and report["data"]["class_names"] == ["benign", "malignant"]
    assert report["data"]["n_train"] + report["data"]["n_val"] + report["data"]["n_test"] == 569
    # A plain Keras MLP with standardized inputs scores about 0.95-0.98 on this table.
    assert report["best"]["test"]["accuracy"] >= 0.93


def test_wine_npz_multiclass(ray_local, tmp_path):
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True)
    npz = tmp_path / "wine.npz"
    np.savez(npz, X=x, y=y)
    result = launch(_config(tmp_path / "runs", {"source": "npz", "path": str(npz)}), name="wine")
    report = result.report
    assert report["task"] == "multiclass" and len(report["data"]["class_names"]) == 3
    assert len(report["best"]["test"]["confusion_matrix"]) == 3
    # A plain Keras MLP with standardized inputs scores about 0.94-1.0 on wine.
    assert report["best"]["test"]["accuracy"] >= 0.9
