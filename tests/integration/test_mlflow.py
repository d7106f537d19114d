"""`--mlflow` end to end on a real local Ray: a launch against a real MLflow tracking server (SQLite
backend, started here on 127.0.0.1) and one against a file:// store. One run per trial with its
per-epoch `val_loss` as Tune received it, the winner tagged with its held-out metrics, the report
and the model as artifacts, and a registered model version."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import pytest

from orchestrator.config import build_config
from orchestrator.pipeline.launch import launch
from orchestrator.names import trial_name
from orchestrator.report import tracking
from orchestrator.report.tensorboard import free_port
from orchestrator.tuning import mlflow_trials

pytestmark = [pytest.mark.ray, pytest.mark.long]  # a tracking server: `pytest -m long`


def tiny_config(runs: Path, uri: str, **extra) -> dict:
    return {"name": "tracked", "seed": 5, "data": {"synthetic": {"n_samples": 240}}, "training": {"epochs": 3},
            "variants": [{"kind": "baseline"}, {"kind": "l2"}], "search": {"samples": 1},
            "diagnosis": {"learning_curve": False}, "output": {"runs_dir": str(runs), "mlflow": uri}, **extra}


@pytest.fixture(scope="module")
def tracking_server(tmp_path_factory):
    """`mlflow server` on 127.0.0.1 with a SQLite backend (so a model registry), as a team runs it."""
    home = tmp_path_factory.mktemp("mlflow_server")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                               "--backend-store-uri", f"sqlite:///{home / 'mlflow.db'}", "--default-artifact-root", str(home / "artifacts")],
                              cwd=home, stdout=subprocess.DEVNULL, stderr=(home / "server.log").open("w"))
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"mlflow server did not start: {(home / 'server.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield uri
    server.terminate()
    server.wait(timeout=30)


def _runs(uri: str, experiment: str) -> dict:
    client = mlflow.MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no MLflow experiment named {experiment}"
    return {r.data.tags[mlflow_trials.TRIAL_TAG]: r for r in client.search_runs([found.experiment_id])}


def _tune_val_losses(trial_dir: Path) -> list[tuple[int, float]]:
    """What Tune received from the trial, epoch by epoch (its result.json rows)."""
    rows = [json.loads(line) for line in (trial_dir / "result.json").read_text().splitlines() if line.strip()]
    return [(row["epoch"], row["val_loss"]) for row in rows]


def _check_tracked(uri: str, result, stage_dirs: dict[str, str]) -> dict:
    """Every trial of every Tune run (its folder in the experiment: its stage) is one MLflow run with
    its per-epoch val_loss; the winner carries the best tag, test_* metrics, artifacts and a version."""
    client = mlflow.MlflowClient(tracking_uri=uri)
    runs = _runs(uri, result.exp_dir.name)
    trials = {d.name: stage for stage, folder in stage_dirs.items() for d in (result.exp_dir / folder).iterdir()
              if (d / "result.json").is_file()}
    assert set(runs) == set(trials), "not one MLflow run per trial"
    for name, run in runs.items():
        assert run.info.status == "FINISHED" and run.data.tags[mlflow_trials.STAGE_TAG] == trials[name]
        history = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, "val_loss"))
        expected = _tune_val_losses(result.exp_dir / stage_dirs[trials[name]] / name)
        assert [s for s, _ in history] == [s for s, _ in expected] == [1, 2, 3], name
        assert [v for _, v in history] == pytest.approx([v for _, v in expected]), name
    best = result.report["best"]
    winners = [n for n, r in runs.items() if r.data.tags.get(tracking.BEST_TAG) == "true"]
    assert winners == [trial_name(best["variant"], best["trial_id"])]
    winner = runs[winners[0]]
    assert winner.data.metrics["test_accuracy"] == pytest.approx(best["test"]["accuracy"])
    assert winner.data.metrics["test_loss"] == pytest.approx(best["test"]["loss"])
    assert {"variant", "learning_rate", "seed"} <= set(winner.data.params)
    artifacts = {a.path for folder in ("report", "best") for a in client.list_artifacts(winner.info.run_id, folder)}
    assert {"report/report.json", "report/report.md", "report/report.html", "best/model.keras", "best/saved_model"} <= artifacts
    versions = client.search_model_versions(f"name = '{result.exp_dir.name}'")
    assert [v.run_id for v in versions] == [winner.info.run_id]
    return runs


@pytest.mark.slow
def test_every_trial_reaches_a_tracking_server_and_the_winner_is_tagged(ray_local, tracking_server, tmp_path):
    result = launch(build_config(tiny_config(tmp_path / "runs", tracking_server)), name="on_server")
    assert len(_check_tracked(tracking_server, result, {"search": "tune"})) == 2


@pytest.mark.slow
def test_a_file_store_holds_the_trials_and_the_learning_curve_tagged_apart(ray_local, tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # the URI asks for a file store: that allows it
    uri = (tmp_path / "mlruns").as_uri()
    config = tiny_config(tmp_path / "runs", uri, diagnosis={"curve_fractions": [0.5], "capacity_ladder": False})
    result = launch(build_config(config), name="in_files")
    runs = _check_tracked(uri, result, {"search": "tune", "learning_curve": "learning_curve"})
    assert sorted(r.data.params["curve_point"] for r in runs.values() if "curve_point" in r.data.params) == ["curve_100pct", "curve_50pct"]
