"""Ray's MLflow logger as gg-train sets it up, driven the way Tune drives it, against a real file://
store (no Ray cluster): the callback survives tuner.pkl, logs at the trial's epochs, and a trial that
`gg-train resume` continues keeps its one run."""

from __future__ import annotations

import mlflow
from ray import cloudpickle

from orchestrator.config import build_config
from orchestrator.folder.experiments import CURVE_DIR, TUNE_DIR
from orchestrator.tuning import mlflow_trials
from orchestrator.tuning.callbacks import mlflow_runs
from orchestrator.tuning.storage import TuneFolder


class Trial:
    """What Ray's logger reads of a Tune trial: its name (`str`) and its config."""

    def __init__(self, name: str, config: dict) -> None:
        self.name, self.config = name, config

    def __str__(self) -> str:
        return self.name


def _restored_callback(config, folder):
    """The callback as a Tuner (new or restored) has it: through tuner.pkl's cloudpickle, then set up."""
    [callback] = mlflow_runs(config, folder)
    callback = cloudpickle.loads(cloudpickle.dumps(callback))
    callback.setup()
    return callback


def test_no_uri_no_logger(tmp_path):
    assert mlflow_runs(build_config({}), TuneFolder(tmp_path, TUNE_DIR)) == []


def test_a_resumed_trial_continues_its_run_at_its_epochs(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    config = build_config({"output": {"mlflow": uri}})
    folder = TuneFolder(tmp_path / "exp", TUNE_DIR)
    trial = Trial("baseline_abc12_00000", {"variant": "baseline", "learning_rate": 0.01})
    first = _restored_callback(config, folder)
    first.log_trial_start(trial)
    first.log_trial_result(1, trial, {"epoch": 1, "val_loss": 0.9, "training_iteration": 1, "done": False, "node_id": "n1"})
    # Interrupted; `gg-train resume` restores the Tuner, and the trial its checkpoint: Tune counts iterations again.
    again = _restored_callback(config, folder)
    again.log_trial_start(trial)
    again.log_trial_result(1, trial, {"epoch": 2, "val_loss": 0.8, "training_iteration": 1, "done": True})
    again.log_trial_end(trial)

    client = mlflow.MlflowClient(tracking_uri=uri)
    [run] = client.search_runs([client.get_experiment_by_name("exp").experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "baseline_abc12_00000"
    assert run.data.tags[mlflow_trials.TRIAL_TAG] == "baseline_abc12_00000" and run.data.tags[mlflow_trials.STAGE_TAG] == "search"
    assert run.data.params == {"variant": "baseline", "learning_rate": "0.01"}
    assert [(m.step, m.value) for m in sorted(client.get_metric_history(run.info.run_id, "val_loss"), key=lambda m: m.step)] == [(1, 0.9), (2, 0.8)]
    assert "done" not in run.data.metrics and "node_id" not in run.data.metrics


def test_the_learning_curve_is_tagged_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    config = build_config({"output": {"mlflow": (tmp_path / "mlruns").as_uri()}})
    [callback] = mlflow_runs(config, TuneFolder(tmp_path / "exp", CURVE_DIR))
    assert callback.tags == {mlflow_trials.STAGE_TAG: "learning_curve"} and callback.experiment_name == "exp"


def test_a_report_standing_for_several_epochs_logs_each_at_its_step(tmp_path, monkeypatch):
    """Millisecond epochs report once for several (`train.cadence`): MLflow still gets every epoch."""
    from orchestrator.train.cadence import EPOCH_ROWS

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    callback = _restored_callback(build_config({"output": {"mlflow": uri}}), TuneFolder(tmp_path / "exp", TUNE_DIR))
    trial = Trial("baseline_abc12_00000", {"variant": "baseline"})
    callback.log_trial_start(trial)
    rows = [{"epoch": e, "val_loss": 1.0 / e} for e in range(1, 401)]  # 400 epochs x 2 keys: more than one batch
    callback.log_trial_result(1, trial, {**rows[-1], EPOCH_ROWS: rows, "training_iteration": 1, "done": True})
    callback.log_trial_end(trial)

    client = mlflow.MlflowClient(tracking_uri=uri)
    [run] = client.search_runs([client.get_experiment_by_name("exp").experiment_id])
    history = sorted(client.get_metric_history(run.info.run_id, "val_loss"), key=lambda m: m.step)
    assert [(m.step, m.value) for m in history] == [(e, 1.0 / e) for e in range(1, 401)]
    assert len(client.get_metric_history(run.info.run_id, "epoch")) == 400
