"""MLflow (`--mlflow URI`, `output.mlflow`): the store checked before anything trains, and the
winner's run completed after the held-out evaluation.

The trials reach MLflow through Ray Tune's own logger (`tuning/mlflow_trials.py`, the owner of the
runs' names and tags): one run per trial in the MLflow experiment named after the gg-train
experiment, tagged `trial_name` with the trial's name (`names.trial_name`). Once report.json is written and the model exported, the winner's
run gets `gg_train.best = true`, its held-out metrics as `test_*`, the report and `best/` as
artifacts, and becomes a version of the registered model named, like the MLflow experiment, after
the gg-train experiment (a launch with --overwrite adds a version). Nothing of the
user's data rows is sent: hyperparameters, metrics, the report and the model only.

mlflow is imported only here and only when a URI is given: the default install has no mlflow.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from orchestrator.folder import experiments
from orchestrator.errors import ConfigError, first_line
from orchestrator.names import trial_name
from orchestrator.tuning.mlflow_trials import TRIAL_TAG, experiment_name, trial_run

INSTALL = "pip install 'gg-train[mlflow]'"
BEST_TAG = "gg_train.best"
HEALTH_SECONDS = 5.0  # a tracking server that has not answered /health by then is not there
SCHEMES = ("http", "https", "sqlite", "file")
_FIX = "give --mlflow http(s)://HOST:PORT of a tracking server, sqlite:////ABSOLUTE/PATH.db or file:///ABSOLUTE/FOLDER"


def check_store(uri: str | None) -> None:
    """Before anything trains: a scheme MLflow can track to, mlflow installed, and a store that
    answers (a server's /health) or a folder we can write. A file:// store is one MLflow keeps in
    maintenance mode and refuses unless MLFLOW_ALLOW_FILE_STORE is set: asking for one sets it."""
    if uri is None:
        return
    scheme = urlparse(uri).scheme
    if scheme not in SCHEMES:
        raise ConfigError(f"MLflow URI '{uri}' has no scheme gg-train can track to ({', '.join(SCHEMES)})", _FIX)
    require_mlflow()
    if scheme in ("http", "https"):
        _check_server(uri)
        return
    folder = _local_folder(uri)
    if scheme == "file":
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    _check_writable(uri, folder)


def require_mlflow():
    """The mlflow module, or the one line that says how to get it."""
    try:
        import mlflow
    except ImportError:
        raise ConfigError("--mlflow needs the mlflow package, which is not installed", INSTALL) from None
    return mlflow


def _check_server(uri: str) -> None:
    health = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(health, timeout=HEALTH_SECONDS) as answer:
            if answer.status == 200:
                return
            problem = f"HTTP {answer.status}"
    except urllib.error.HTTPError as err:
        problem = f"HTTP {err.code}"
    except (urllib.error.URLError, OSError) as err:
        problem = str(getattr(err, "reason", err))
    raise ConfigError(f"the MLflow tracking server at {uri} does not answer at {health} ({problem})",
                      "start it (mlflow server --host 127.0.0.1 --port PORT) or correct the URI given to --mlflow")


def _local_folder(uri: str) -> Path:
    """The folder a file:// store or a SQLite database lives in; relative paths are refused, so a
    `resume` from another directory reaches the same store."""
    parsed = urlparse(uri)
    path = parsed.path[1:] if parsed.scheme == "sqlite" else parsed.path  # sqlite:////abs.db: the 4th slash is the root
    if parsed.netloc not in ("", "localhost") or not Path(path).is_absolute():
        raise ConfigError(f"MLflow URI '{uri}' is not an absolute path", _FIX)
    return Path(path) if parsed.scheme == "file" else Path(path).parent


def _check_writable(uri: str, folder: Path) -> None:
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"MLflow store '{uri}' cannot be written: {existing} is not a folder you can write",
                          "choose a folder you own in --mlflow")


def record_winner(uri: str | None, exp_dir: Path, report: dict, say: Callable[[str], None]) -> str | None:
    """The winner's run after the evaluation: the best tag, the `test_*` metrics, the report and the
    exported model as artifacts, and a registered model version. Returns the run id (None without
    a URI or a winner). A store that fails here costs no result: the experiment is complete on disk."""
    best = report.get("best")
    if uri is None or best is None:
        return None
    mlflow = require_mlflow()
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(uri)  # MLflow's own lookups inside the client (model versions) use it too
    client = mlflow.MlflowClient(tracking_uri=uri)
    try:
        run_id = winner_run(client, exp_dir, trial_name(best["variant"], best["trial_id"]))
        client.set_tag(run_id, BEST_TAG, "true")
        for key, value in test_metrics(best).items():
            client.log_metric(run_id, key, value)
        _log_artifacts(client, run_id, Path(exp_dir))
    except (MlflowException, OSError, LookupError) as err:
        say(f"gg-train: warning: MLflow: the winner's run was not completed ({first_line(err)}); the experiment is complete in {exp_dir}")
        return None
    _register(client, run_id, experiment_name(exp_dir), say)
    say(f"gg-train: MLflow: winner {best['variant']} is run {run_id} of experiment '{experiment_name(exp_dir)}' at {uri}")
    return run_id


def winner_run(client, exp_dir: Path, trial: str) -> str:
    """The run of the winner's trial in the experiment's MLflow experiment."""
    experiment = client.get_experiment_by_name(experiment_name(exp_dir))
    if experiment is None:
        raise LookupError(f"no MLflow experiment '{experiment_name(exp_dir)}'")
    run_id = trial_run(client, experiment.experiment_id, trial)
    if run_id is None:
        raise LookupError(f"no MLflow run tagged {TRIAL_TAG} = {trial}")
    return run_id


def test_metrics(best: dict) -> dict[str, float]:
    """report.json's held-out numbers of the winner as `test_<name>`: the scalars only (the confusion
    matrix stays in the report)."""
    return {f"test_{k}": float(v) for k, v in best.get("test", {}).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _log_artifacts(client, run_id: str, exp_dir: Path) -> None:
    for page in (experiments.REPORT, "report.md", "report.html"):
        if (exp_dir / page).is_file():
            client.log_artifact(run_id, str(exp_dir / page), artifact_path="report")
    if (exp_dir / "plots").is_dir():  # report.md shows them from plots/
        client.log_artifacts(run_id, str(exp_dir / "plots"), artifact_path="report/plots")
    if (exp_dir / experiments.BEST_DIR).is_dir():
        client.log_artifacts(run_id, str(exp_dir / experiments.BEST_DIR), artifact_path=experiments.BEST_DIR)


def _register(client, run_id: str, model_name: str, say: Callable[[str], None]) -> None:
    """`best/` as a version of the registered model `model_name`, where the store has a registry."""
    from mlflow.exceptions import MlflowException

    try:
        if client.search_registered_models(f"name = '{model_name}'") == []:
            client.create_registered_model(model_name)
        source = f"{client.get_run(run_id).info.artifact_uri}/{experiments.BEST_DIR}"
        version = client.create_model_version(model_name, source=source, run_id=run_id)
    except MlflowException as err:
        say(f"gg-train: MLflow: no model registry at this store ({first_line(err)}); the model is an artifact of run {run_id}")
        return
    say(f"gg-train: MLflow: registered model '{model_name}' version {version.version}")
