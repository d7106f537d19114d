"""`gg-train doctor` end to end: a report on a healthy model, and bad input as one line, exit 2,
nothing written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from orchestrator.cli import app


def _run(args: list[str]):
    return CliRunner().invoke(app, ["doctor", *map(str, args)])


def test_doctor_writes_doctor_json_and_prints_the_findings(planted, tmp_path):
    case = planted("healthy")
    result = _run([case["model"], "--test", case["test"], "--data", case["train"], "--label", "label",
                   "--name", "check", "--runs-dir", tmp_path / "runs"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "runs" / "check" / "doctor.json").read_text())
    assert report["schema_version"] == 1 and report["primary"] is None and report["repaired"] is None
    assert report["model"]["format"] == "keras" and report["data"]["class_to_unit"] == {"0": 0, "1": 1}
    assert report["data"]["n_train"] == 1000 and report["data"]["n_test"] == 400 and report["as_is"]["val"] is None
    low, high = report["as_is"]["test"]["accuracy_interval"]
    assert low < report["as_is"]["test"]["accuracy"] < high
    assert [r["name"] for r in report["references"]] == ["majority", "logistic_regression", "gradient_boosting"]
    assert "primary: none confirmed" in result.output and "ruled out" in result.output
    markdown = (tmp_path / "runs" / "check" / "doctor.md").read_text()
    assert "## Primary cause: none confirmed" in markdown and "### overfitting: ruled out" in markdown
    assert markdown.count("Rule: ") == len(report["findings"])
    again = _run([case["model"], "--test", case["test"], "--label", "label", "--name", "check", "--runs-dir", tmp_path / "runs"])
    assert again.exit_code == 2 and again.output.strip() == (
        f"experiment error: 'check' already exists in {tmp_path / 'runs'} (pick another --name)")


def test_a_cause_that_launch_remedies_prints_the_launch_command(planted, tmp_path):
    case = planted("overfitting")
    result = _run([case["model"], "--test", case["test"], "--data", case["train"], "--label", "label",
                   "--name", "over", "--runs-dir", tmp_path])
    report = json.loads((tmp_path / "over" / "doctor.json").read_text())
    assert report["primary"] == "overfitting"
    assert report["next"] == f"gg-train launch --model {case['model']} --data {case['train']} --test-data {case['test']} --label label"
    assert f"next: {report['next']}" in " ".join(result.output.split())


def _lambda_model(path):
    import keras

    model = keras.Sequential([keras.Input((6,)), keras.layers.Lambda(lambda t: t * 2.0), keras.layers.Dense(2, activation="softmax")])
    model.save(path)
    return path


def _table(path, rows: int, columns: int = 6, labels=(0, 1)):
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(rows, columns)), columns=[f"f{i}" for i in range(columns)])
    frame["label"] = np.resize(np.array(labels), rows)
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("problem, expected", [
    ("lambda", "model error: model '{model}' contains a Lambda layer"),
    ("missing_model", "model error: model '{model}' not found"),
    ("width", "data error: the model takes inputs of shape [None, 6] but the table has 4 numeric column(s)"),
    ("label", "data error: label column 'label' is not in"),
    ("unknown_class", "data error: --test {test} has label(s) ['2'] that the model has no output unit for"),
    ("empty_test", "data error: {test} has a header but no rows"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(planted, tmp_path, problem, expected):
    case = planted("healthy")
    model, train, test, label = case["model"], case["train"], tmp_path / "test.csv", "label"
    _table(test, 50)
    if problem == "lambda":
        model = _lambda_model(tmp_path / "lambda.keras")
    elif problem == "missing_model":
        model = tmp_path / "nowhere.keras"
    elif problem == "width":
        train, test = _table(tmp_path / "train4.csv", 50, 4), _table(tmp_path / "test4.csv", 50, 4)
    elif problem == "label":  # the test file calls it "target"
        pd.read_csv(case["test"]).rename(columns={"label": "target"}).to_csv(test, index=False)
    elif problem == "unknown_class":
        _table(test, 50, labels=(0, 1, 2))
    else:
        pd.read_csv(case["test"]).head(0).to_csv(test, index=False)
    runs = tmp_path / "runs"
    args = [model, "--test", test, "--label", label, "--runs-dir", runs] + (["--data", train] if train else [])
    result = _run(args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected.format(model=model, test=test)), lines
    assert "Traceback" not in result.output and not runs.exists()


def test_npz_files_are_matched_by_position(planted, tmp_path):
    case = planted("preprocessing_mismatch")
    paths = {}
    for split in ("train", "test"):
        frame = pd.read_csv(case[split])
        paths[split] = tmp_path / f"{split}.npz"
        np.savez(paths[split], X=frame.drop(columns="label").to_numpy(np.float32), y=frame["label"].to_numpy())
    result = _run([case["model"], "--test", paths["test"], "--data", paths["train"], "--name", "npz", "--runs-dir", tmp_path])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "npz" / "doctor.json").read_text())
    assert report["data"]["matched_by"] == "position" and report["primary"] == "preprocessing_mismatch"


def test_a_table_without_label_is_one_line(planted, tmp_path):
    case = planted("healthy")
    result = _run([case["model"], "--test", case["test"], "--runs-dir", tmp_path / "runs"])
    assert result.exit_code == 2 and result.output.strip() == (
        f"data error: --test '{case['test']}' is a table, and the doctor needs its label column (pass --label COLUMN)")
    assert not (tmp_path / "runs").exists()
