"""`orchestrator.launch`, `resume`, `doctor` and `load`: what the `gg-train` commands of those names do,
as calls that return Python objects. The CLI parses its flags, calls these, and prints.

Bad input raises a `GGError` (`ConfigError`, `DataError`, `ExperimentError`…) before anything trains,
as the CLI's one line does. Ray's and TensorFlow's own log lines go to the experiment's
logs/driver.log (logs/doctor.log), as under the CLI; `verbose=True` shows them instead. gg-train's
own lines (the plan, one line per finished trial) go to a rich Console on stdout: `quiet=True`
silences them, `console=` sends them elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from orchestrator.driver import logfile
from orchestrator.api.arguments import (
    data_overrides,
    experiment_config,
    flag_overrides,
    model_override,
    user_overrides,
)
from orchestrator.api.examination import Examination
from orchestrator.api.experiment import Experiment
from orchestrator.folder import experiments
from orchestrator.names import is_experiment_name

if TYPE_CHECKING:
    from rich.console import Console

    from orchestrator.config import ExperimentConfig


def launch(config: str | Path | Mapping | ExperimentConfig | None = None, *, data: str | Path | None = None,
           label: str | None = None, test_data: str | Path | None = None, model: str | Path | None = None,
           name: str | None = None, runs_dir: str | Path | None = None, gpus: int | None = None,
           gpus_per_trial: float | None = None, cpus_per_trial: float | None = None, cpu_replicas: int | None = None,
           workers_per_trial: int | None = None, epochs: int | None = None, samples: int | None = None,
           seed: int | None = None, address: str | None = None, storage: str | None = None, mlflow: str | None = None,
           overrides: Mapping[str, Any] | Sequence[str] | None = None, overwrite: bool = False, dry_run: bool = False,
           verbose: bool = False, quiet: bool = False, console: Console | None = None) -> Experiment | None:
    """Train every regularization variant, pick the best on validation data, test it once: `gg-train launch`.

    `config`: a YAML path, a dict of sections or an ExperimentConfig (default: the built-in settings);
    the other arguments are the launch flags of the same names, and `overrides` the `--set` ones
    (`{"training.epochs": 30}` or `["training.epochs=30"]`), applied last. Returns the finished
    `Experiment`, or None with `dry_run` (the plan printed, nothing trained).
    """
    sets = data_overrides(data, label, test_data) + model_override(model) + flag_overrides(
        epochs=epochs, samples=samples, seed=seed, gpus=gpus, gpus_per_trial=gpus_per_trial,
        cpus_per_trial=cpus_per_trial, cpu_replicas=cpu_replicas, workers_per_trial=workers_per_trial,
        address=address, runs_dir=runs_dir, storage=storage, mlflow=mlflow) + user_overrides(overrides)
    cfg = experiment_config(config, sets)
    from orchestrator.pipeline.launch import launch as run_launch

    with logfile.libraries_logged(verbose):
        ran = run_launch(cfg, name=name or experiments.default_name(cfg.name), overwrite=overwrite,
                         console=console or logfile.console(quiet), dry_run=dry_run)
    return None if ran is None else Experiment(ran.exp_dir, ran.report, ran.seconds)


def resume(name: str, runs_dir: str | Path = "runs", *, trust_unsealed: bool = False, verbose: bool = False,
           quiet: bool = False, console: Console | None = None) -> Experiment:
    """Continue an interrupted experiment (`gg-train resume`): finished trials stay, unfinished ones
    continue from their checkpoints, then the evaluation and report run as usual."""
    from orchestrator.pipeline.launch import resume as run_resume

    with logfile.libraries_logged(verbose):
        ran = run_resume(Path(runs_dir), name, console=console or logfile.console(quiet), trust_unsealed=trust_unsealed)
    return Experiment(ran.exp_dir, ran.report, ran.seconds)


def doctor(model: str | Path, test: str | Path, *, label: str | None = None, data: str | Path | None = None,
           val: str | Path | None = None, features: str | Sequence[str] | None = None, name: str | None = None,
           runs_dir: str | Path = "runs", verbose: bool = False) -> Examination:
    """Why does this saved model score low on this test file? (`gg-train doctor`): examines the model
    as it is, trains nothing, writes runs_dir/name/doctor.json and returns the `Examination`.

    `features`: the columns the model takes, in its input order ("a,b,c" or a list); default: its
    input names, else every numeric column."""
    from orchestrator.checkup.run import DoctorRequest
    from orchestrator.checkup.run import doctor as run_doctor

    chosen = [f.strip() for f in features.split(",") if f.strip()] if isinstance(features, str) else features
    request = DoctorRequest(Path(model), Path(test), label, _path(data), _path(val), list(chosen) if chosen else None)
    with logfile.libraries_logged(verbose):
        _, path = run_doctor(request, Path(runs_dir), name or experiments.default_name("doctor"))
    return Examination.read(path.parent)


def load(name: str, runs_dir: str | Path = "runs") -> Experiment | Examination:
    """An experiment (or a doctor's examination) already on disk, as `gg-train show` reads it: any
    status, finished or not; a finished one's model loads on first use."""
    from orchestrator.checkup.run import REPORT_FILE

    folder = Path(runs_dir) / name
    if is_experiment_name(name) and (folder / REPORT_FILE).is_file() and not (folder / experiments.MANIFEST).is_file():
        return Examination.read(folder)
    return Experiment.read(experiments.existing(Path(runs_dir), name))  # the name checked, nothing created


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)
