"""`gg-train launch` as one library call: config → data → experiment folder → Ray Tune → held-out
evaluation → report. Every check that can fail on user input runs before the folder is created.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from orchestrator import experiments
from orchestrator.board import BOARD_DIR
from orchestrator.config import ExperimentConfig, to_yaml
from orchestrator.data import Dataset, load_dataset
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


def launch(config: ExperimentConfig, *, name: str, overwrite: bool = False, console: Console | None = None) -> LaunchResult:
    console = console or Console(stderr=True)
    started = time.monotonic()
    for variant in config.variants:
        resolve_params(variant, config)  # a variant given a hyperparameter it does not use is a config error
    target = experiments.experiment_dir(config.output.runs_dir, name, overwrite)
    dataset = load_dataset(config.data, config.seed)

    from orchestrator import tuning

    where = f"the cluster at {config.resources.address}" if config.resources.address else "this machine"
    started_ray = tuning.connect(config.resources.address)
    try:
        plan = tuning.plan_resources(config, tuning.available(), where)
        from orchestrator import search

        exp_dir = experiments.create(target, to_yaml(config), {
            "seed": config.seed,
            "data": dataset.describe(),
            "resources": {"gpus": plan.gpus, "gpus_per_trial": plan.gpus_per_trial, "cpus_per_trial": plan.cpus_per_trial,
                          "cpu_replicas": plan.cpu_replicas, "max_concurrent_trials": plan.max_concurrent,
                          "address": config.resources.address},
            "search": search.search_domains(config),
        })
        try:
            return _run(config, dataset, plan, exp_dir, console, started)
        except KeyboardInterrupt:
            experiments.update_manifest(exp_dir, status="interrupted")
            raise
        except BaseException as exc:
            experiments.update_manifest(exp_dir, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
            raise
    finally:
        if started_ray:
            tuning.disconnect()


def _run(config: ExperimentConfig, dataset: Dataset, plan, exp_dir: Path, console: Console, started: float) -> LaunchResult:
    from orchestrator import evaluation, export, report, tuning
    from orchestrator.progress import Progress

    metric, mode = config.search.metric, config.search.resolved_mode
    total = len(config.variants) * config.search.samples
    console.print(
        f"gg-train: {total} trials ({len(config.variants)} variants × {config.search.samples}), "
        f"{plan.max_concurrent} at a time, {plan.cpus_per_trial:g} CPU + {plan.gpus_per_trial} GPU each"
        + (f" ({plan.cpu_replicas} CPU replicas)" if plan.cpu_replicas > 1 else "") + "; "
        f"data {dataset.source}: {len(dataset.train)} train / {len(dataset.val)} val / {len(dataset.test)} test (held out)",
        highlight=False,
    )
    console.print(f"gg-train: experiment folder {exp_dir}", highlight=False)
    if config.output.tensorboard:
        from orchestrator.board import write_hparams_config
        from orchestrator.distribute import prepare_driver

        prepare_driver()
        write_hparams_config(exp_dir / BOARD_DIR, config)
        console.print(f"gg-train: watch live with  gg-train tensorboard {exp_dir.name} --runs-dir {exp_dir.parent}", highlight=False)
    setup, data = _trial_inputs(config, dataset, plan, exp_dir)
    outcomes = tuning.run(config, plan, exp_dir, setup, data, Progress(console, total, metric, mode))
    evaluated, best, confusion = evaluation.evaluate(outcomes, dataset, metric, mode)
    if config.output.tensorboard:
        from orchestrator.board import log_outcomes

        log_outcomes(exp_dir / BOARD_DIR, outcomes, evaluated)
    built = report.build(
        name=exp_dir.name, exp_dir=exp_dir, dataset=dataset, metric=metric, mode=mode, outcomes=outcomes,
        evaluated=evaluated, best=best, confusion=confusion, variant_order=[v.label for v in config.variants],
    )
    if best is not None:
        export.export_best(exp_dir, best.outcome.checkpoint, {"variant": best.outcome.variant, "trial_id": best.outcome.trial_id,
                                                              "train": best.train, "val": best.val, "test": best.test})
    report.write(exp_dir, built)
    seconds = time.monotonic() - started
    experiments.update_manifest(exp_dir, status="finished" if best is not None else "failed",
                                seconds=round(seconds, 1), trials=built["trials"])
    return LaunchResult(exp_dir, built, seconds)
