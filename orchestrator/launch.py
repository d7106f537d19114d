"""`gg-train launch` and `gg-train resume` as library calls: config → data → experiment folder →
Ray Tune → held-out evaluation → report. Every check that can fail on user input runs before the
folder is created (launch) or before any trial is restarted (resume).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from orchestrator import experiments
from orchestrator.board import BOARD_DIR
from orchestrator.config import ExperimentConfig, load_config, to_yaml
from orchestrator.data import Dataset, load_dataset
from orchestrator.errors import ExperimentError
from orchestrator.tuning_types import Interrupted
from orchestrator.variants import resolve_params


@dataclass
class LaunchResult:
    exp_dir: Path
    report: dict
    seconds: float

    @property
    def report_path(self) -> Path:
        return self.exp_dir / "report.json"


def _trial_inputs(config: ExperimentConfig, dataset: Dataset, plan, exp_dir: Path):
    from orchestrator.trial import TrialData, TrialSetup

    mean, variance = dataset.scaling()
    setup = TrialSetup(
        n_classes=dataset.n_classes, mean=mean, variance=variance, activation=config.model.activation,
        optimizer=config.training.optimizer, cpus=plan.cpus_per_trial, gpus=plan.gpus_per_trial,
        cpu_replicas=plan.cpu_replicas, precision=config.training.precision, batch_scope=config.training.batch_scope,
        board_root=str((exp_dir / BOARD_DIR).resolve()) if config.output.tensorboard else None,
        histograms=config.output.histograms, selection=config.search.metric,
    )
    # The held-out rule: only train and validation travel to trials; TrialData has no test field.
    data = TrialData(dataset.train.x, dataset.train.y, dataset.val.x, dataset.val.y)
    return setup, data


def _auth_for_joining(config: ExperimentConfig) -> None:
    """Ray 2.60 turns token authentication on for clusters it starts, but a client given an explicit
    address stays 'disabled' and is refused. Say 'token' before Ray is first imported (Ray caches its
    config); set RAY_AUTH_MODE=disabled yourself only for a cluster that has it off."""
    if config.resources.address:
        os.environ.setdefault("RAY_AUTH_MODE", "token")


def _where(config: ExperimentConfig) -> str:
    return f"the cluster at {config.resources.address}" if config.resources.address else "this machine"


def launch(config: ExperimentConfig, *, name: str, overwrite: bool = False, console: Console | None = None) -> LaunchResult:
    console = console or Console(stderr=True)
    started = time.monotonic()
    if config.data.path is not None and not config.data.path.is_absolute():  # resume from any directory
        config = config.model_copy(update={"data": config.data.model_copy(update={"path": config.data.path.resolve()})})
    for variant in config.variants:
        resolve_params(variant, config)  # a variant given a hyperparameter it does not use is a config error
    target = experiments.experiment_dir(config.output.runs_dir, name, overwrite)
    dataset = load_dataset(config.data, config.seed)
    _auth_for_joining(config)
    from orchestrator import search, tuning
    from orchestrator.checks import run_checks

    checks = run_checks(dataset)
    started_ray = tuning.connect(config.resources.address)
    try:
        plan = tuning.plan_resources(config, tuning.available(), _where(config))
        exp_dir = experiments.create(target, to_yaml(config), {
            "seed": config.seed,
            "data": dataset.describe(),
            "resources": {"gpus": plan.gpus, "gpus_per_trial": plan.gpus_per_trial, "cpus_per_trial": plan.cpus_per_trial,
                          "cpu_replicas": plan.cpu_replicas, "max_concurrent_trials": plan.max_concurrent,
                          "address": config.resources.address},
            "search": search.search_domains(config),
            "checks": checks,
        })
        return _guarded(exp_dir, lambda: _run(config, dataset, plan, exp_dir, console, started, checks, restore=False))
    finally:
        if started_ray:
            tuning.disconnect()


def resume(runs_dir: Path, name: str, console: Console | None = None) -> LaunchResult:
    """Continue an interrupted experiment: finished trials are kept, unfinished ones continue from
    their checkpoints, then the held-out evaluation and report run as usual."""
    console = console or Console(stderr=True)
    started = time.monotonic()
    exp_dir = experiments.existing(runs_dir, name)
    manifest = experiments.read_manifest(exp_dir)
    status = experiments.effective_status(manifest)
    if status == "finished":
        raise ExperimentError(f"experiment '{name}' has already finished", f"gg-train show {name} prints its results")
    if status == "running":
        raise ExperimentError(f"experiment '{name}' is still running (process {manifest.get('pid')} on {manifest.get('host')})",
                              "stop that launch first (Ctrl-C), then resume")
    config = load_config(exp_dir / experiments.CONFIG_FILE)
    dataset = load_dataset(config.data, config.seed)
    if dataset.describe()["hashes"] != manifest["data"]["hashes"]:
        raise ExperimentError(f"the data of '{name}' changed since it was launched (split hashes differ from manifest.json)",
                              "restore the original data file, or launch a new experiment")
    _auth_for_joining(config)
    from orchestrator import tuning

    if (exp_dir / "tune").exists():
        experiments.check_restorable(exp_dir)
    if not tuning.can_restore(exp_dir):
        raise ExperimentError(f"experiment '{name}' has no Tune state to resume from", "launch it again with --overwrite")
    started_ray = tuning.connect(config.resources.address)
    try:
        plan = tuning.plan_resources(config, tuning.available(), _where(config))
        experiments.update_manifest(exp_dir, status="running", pid=os.getpid(), resumed=manifest.get("resumed", 0) + 1)
        checks = manifest.get("checks", [])
        return _guarded(exp_dir, lambda: _run(config, dataset, plan, exp_dir, console, started, checks, restore=True))
    finally:
        if started_ray:
            tuning.disconnect()


def _guarded(exp_dir: Path, body) -> LaunchResult:
    """Keep manifest.json's status true whatever happens inside the run."""
    try:
        return body()
    except (KeyboardInterrupt, Interrupted):
        experiments.update_manifest(exp_dir, status="interrupted")
        raise Interrupted(exp_dir) from None
    except BaseException as exc:
        experiments.update_manifest(exp_dir, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise


def _announce(config: ExperimentConfig, dataset: Dataset, plan, exp_dir: Path, console: Console, checks: list[dict], restore: bool) -> None:
    total = len(config.variants) * config.search.samples
    console.print(
        f"gg-train: {'resuming ' if restore else ''}{total} trials ({len(config.variants)} variants × {config.search.samples}), "
        f"{plan.max_concurrent} at a time, {plan.cpus_per_trial:g} CPU + {plan.gpus_per_trial} GPU each"
        + (f" ({plan.cpu_replicas} CPU replicas)" if plan.cpu_replicas > 1 else "") + "; "
        f"data {dataset.source}: {len(dataset.train)} train / {len(dataset.val)} val / {len(dataset.test)} test (held out)",
        highlight=False,
    )
    console.print(f"gg-train: experiment folder {exp_dir}", highlight=False)
    for check in checks:
        if check["status"] != "ok":
            console.print(f"gg-train: data check {check['name']} ({check['status']}): {check['message']}", highlight=False)


def _run(config: ExperimentConfig, dataset: Dataset, plan, exp_dir: Path, console: Console, started: float,
         checks: list[dict], restore: bool) -> LaunchResult:
    from orchestrator import evaluation, report, tuning
    from orchestrator.progress import Progress

    metric, mode = config.search.metric, config.search.resolved_mode
    _announce(config, dataset, plan, exp_dir, console, checks, restore)
    if config.output.tensorboard:
        from orchestrator.board import write_hparams_config
        from orchestrator.distribute import prepare_driver

        prepare_driver()
        if not restore:
            write_hparams_config(exp_dir / BOARD_DIR, config)
        console.print(f"gg-train: watch live with  gg-train tensorboard {exp_dir.name} --runs-dir {exp_dir.parent}", highlight=False)
    setup, data = _trial_inputs(config, dataset, plan, exp_dir)
    total = len(config.variants) * config.search.samples
    outcomes = tuning.run(config, plan, exp_dir, setup, data, Progress(console, total, metric, mode), restore=restore)
    evaluated, best, confusion = evaluation.evaluate(outcomes, dataset, metric, mode)
    if config.output.tensorboard:
        from orchestrator.board import log_outcomes

        log_outcomes(exp_dir / BOARD_DIR, outcomes, evaluated)
    built = report.build(
        name=exp_dir.name, exp_dir=exp_dir, dataset=dataset, metric=metric, mode=mode, outcomes=outcomes,
        evaluated=evaluated, best=best, confusion=confusion, variant_order=[v.label for v in config.variants], checks=checks,
    )
    if best is not None:
        built["export"] = _export(exp_dir, best, dataset)
    report.write(exp_dir, built)
    _render(exp_dir, built)
    seconds = time.monotonic() - started
    experiments.update_manifest(exp_dir, status="finished" if best is not None else "failed",
                                seconds=round(seconds, 1), trials=built["trials"])
    return LaunchResult(exp_dir, built, seconds)


def _export(exp_dir: Path, best, dataset: Dataset) -> dict:
    """best/model.keras and best/saved_model/, then proof in a fresh process that both predict
    exactly what the evaluated checkpoint predicts on the raw test features."""
    from orchestrator import export
    from orchestrator.checkpoint import load_model

    export.export_best(exp_dir, best.outcome.checkpoint, {"variant": best.outcome.variant, "trial_id": best.outcome.trial_id,
                                                          "train": best.train, "val": best.val, "test": best.test})
    import tensorflow as tf

    with tf.device("/CPU:0"):  # the proof runs on CPU in the child; compare like with like (no TF32 on GPUs)
        expected = load_model(best.outcome.checkpoint, compile=False).predict(dataset.test.x, verbose=0)
    try:
        return export.verify_export(exp_dir, dataset.test.x, expected)
    except BaseException:
        # Nothing unverified may sit at best/: keep it for inspection under another name.
        unverified = exp_dir / "best.unverified"
        shutil.rmtree(unverified, ignore_errors=True)
        os.replace(exp_dir / "best", unverified)
        raise


def _render(exp_dir: Path, built: dict) -> None:
    from orchestrator.render import render

    render(built, exp_dir)
