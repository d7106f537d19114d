"""`gg-train launch`, `resume` and `report` as library calls: config → data → experiment folder →
Ray Tune → held-out evaluation → diagnosis → export → report. Every check that can fail on user
input runs before the folder is created (launch) or before any trial is restarted (resume).

Called, `orchestrator.launch(...)` is the Python API's launch (`orchestrator.api.launch`: CLI-like
arguments in, an `Experiment` out), which runs `launch` here.
"""

from __future__ import annotations

import contextlib
import functools
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from orchestrator.driver import logfile
from orchestrator.folder import disk, experiments, phases, state_seal, tune_state
from orchestrator.driver.background import in_background
from orchestrator.config import ExperimentConfig, load_config, to_yaml
from orchestrator.data import Dataset, load_dataset
from orchestrator.errors import ExperimentError
from orchestrator.folder.experiments import BOARD_DIR
from orchestrator.models.preflight import prepare
from orchestrator.models.variants import resolve_params, selection, with_balanced_twins
from orchestrator.report import tracking
from orchestrator.tuning.outcomes import Interrupted
from orchestrator.tuning.progress import Progress, announce


@dataclass
class LaunchResult:
    exp_dir: Path
    report: dict
    seconds: float

    @property
    def report_path(self) -> Path:
        return self.exp_dir / experiments.REPORT


def _plan(config: ExperimentConfig):
    """The resource plan against what Ray sees, node by node, and the per-node checks: before anything trains."""
    from orchestrator.tuning import cluster
    from orchestrator.tuning.resources import plan_resources

    where = f"the cluster at {config.resources.address}" if config.resources.address else "this machine"
    plan = plan_resources(config, cluster.available(), where, cluster.nodes())
    cluster.check_nodes(config.output.storage)
    return plan


def _manifest(config: ExperimentConfig, dataset: Dataset, plan, checks: list[dict], model: dict) -> dict:
    from orchestrator.tuning.search import search_domains

    return {
        "seed": config.seed,
        "data": dataset.describe(),
        "model": model,
        "resources": {"gpus": plan.gpus, "gpus_per_trial": plan.gpus_per_trial, "cpus_per_trial": plan.cpus_per_trial,
                      "cpu_replicas": plan.cpu_replicas, "workers_per_trial": plan.workers, "max_concurrent_trials": plan.max_concurrent,
                      "address": config.resources.address},
        "search": search_domains(config),
        "checks": checks,
    }


def launch(config: ExperimentConfig, *, name: str, overwrite: bool = False, console: Console | None = None,
           dry_run: bool = False) -> LaunchResult | None:
    """Run the experiment; with `dry_run`, every check up to the first trial, the plan printed, and None."""
    console = console or Console(stderr=True)
    started = time.monotonic()
    config = config.model_copy(update={"data": config.data.absolute()})  # resume from any directory
    for variant in config.variants:
        resolve_params(variant, config)  # a variant given a hyperparameter it does not use is a config error
    tracking.check_store(config.output.mlflow)  # a bad URI or a silent server: one line, before the folder exists
    target = experiments.experiment_dir(config.output.runs_dir, name, overwrite)
    with experiments.permissions(config.output.permissions), experiments.claimed(target):  # a second launch of this name stops here, at once
        experiments.experiment_dir(config.output.runs_dir, name, overwrite)  # again, now that the name is ours
        return _launch_claimed(config, target, overwrite, console, started, dry_run)


def _launch_claimed(config: ExperimentConfig, target: Path, overwrite: bool, console: Console, started: float,
                    dry_run: bool = False) -> LaunchResult | None:
    phases.enter(phases.DATA)
    dataset = load_dataset(config.data, config.seed)
    config, model = prepare(config, dataset.kind, dataset.input_shape, dataset.n_classes)
    from orchestrator.data.checks import run_checks
    from orchestrator.tuning import cluster

    cluster.auth_for_joining(config.resources.address)

    checks = run_checks(dataset)
    imbalanced = any(c["name"] == "class_imbalance" and c["status"] == "warn" for c in checks)
    config = with_balanced_twins(config, imbalanced, dataset.n_classes)
    with cluster.connected(config.resources.address, meanwhile=None if dry_run else _driver_tensorflow):
        phases.enter(phases.RAY)
        plan = _plan(config)
        if dry_run:  # the plan printed; no folder, no trial
            return announce(config, dataset, plan, None, console, checks, restore=False)
        from orchestrator.tuning.storage import claim

        state_seal.check_key()  # before the folder exists: Tune's state is sealed with it from the first save
        claim(target, config.output.storage, overwrite)
        exp_dir = experiments.create(target, to_yaml(config), _manifest(config, dataset, plan, checks, model), overwrite)
        logfile.attach(exp_dir)  # Ray's and TensorFlow's lines so far, and from now on, in logs/driver.log
        return _guarded(exp_dir, lambda: _run(config, dataset, plan, exp_dir, console, started, checks, restore=False))


def resume(runs_dir: Path, name: str, console: Console | None = None, trust_unsealed: bool = False) -> LaunchResult:
    """Continue an interrupted experiment: finished trials are kept, unfinished ones continue from
    their checkpoints, then the held-out evaluation and report run as usual. `trust_unsealed`: the
    user vouches for Tune state that carries no seal (`tune_state.check_sealed`)."""
    console = console or Console(stderr=True)
    started = time.monotonic()
    target = experiments.experiment_dir(runs_dir, name, overwrite=True)
    disk.check_room(target)
    # The name first: a launch still preparing its folder is named as the holder, not "no experiment".
    with experiments.claimed(target, "resumed"):  # not while another launch or resume holds the name
        return _resume_claimed(experiments.existing(runs_dir, name), name, console, started, trust_unsealed)


def _resume_claimed(exp_dir: Path, name: str, console: Console, started: float, trust_unsealed: bool) -> LaunchResult:
    logfile.attach(exp_dir)
    manifest = experiments.read_manifest(exp_dir)
    experiments.check_resumable(name, manifest)
    state_seal.check_key()
    tune_state.check_sealed(exp_dir, trust_unsealed)  # before its config is read: the builder it names is code
    config = load_config(exp_dir / experiments.CONFIG_FILE)
    tracking.check_store(config.output.mlflow)
    from orchestrator.models.fingerprint import check_unchanged
    from orchestrator.tuning import cluster, storage

    check_unchanged(config.model, (manifest.get("model") or {}).get("source"), name)
    main, curve = storage.tune_folders(exp_dir, config.output.storage)
    put_back = tune_state.checked_for_restore(exp_dir, (main, curve), trust_unsealed)  # before the data: nothing slow first
    _say_trusted(exp_dir, console, trust_unsealed)
    if put_back:
        console.print(f"gg-train: Tune's copy of {', '.join(put_back)} was cut short or changed; put back from the copy kept in {exp_dir.name}/.tune_state")
    for cut in disk.trim_cut_rows([main.local, curve.local]):
        console.print(f"gg-train: dropped the result row a full disk cut short in {cut.parent.name}/{cut.name}", highlight=False)
    dataset = load_dataset(config.data, config.seed)
    if dataset.describe()["hashes"] != manifest["data"]["hashes"]:
        raise ExperimentError(f"the data of '{name}' changed since it was launched (split hashes differ from manifest.json)",
                              "restore the original data file, or launch a new experiment")
    cluster.auth_for_joining(config.resources.address)
    from orchestrator.tuning.run import can_restore

    restore = can_restore(main)
    if not restore:  # killed before Tune wrote its state: nothing trained yet, so train from the start
        main.remove()
    with experiments.permissions(config.output.permissions):
        return _resume_ray(config, dataset, manifest, exp_dir, console, started, restore)


def _say_trusted(exp_dir: Path, console: Console, trust_unsealed: bool) -> None:
    """One warning line when --trust-unsealed lets a folder without a seal through."""
    if not trust_unsealed or state_seal.is_genuine(exp_dir):
        return
    unsealed = [str(p.relative_to(exp_dir)) for p in tune_state.unsealed_state(exp_dir)] or [experiments.CONFIG_FILE]
    console.print(f"gg-train: warning: resuming '{exp_dir.name}', which carries no seal of your gg-train key ({', '.join(unsealed)}), "
                  "as --trust-unsealed asked: its Tune state is unpickled and its model builder imported, whatever code they hold",
                  highlight=False)


def _resume_ray(config: ExperimentConfig, dataset: Dataset, manifest: dict, exp_dir: Path, console: Console,
                started: float, restore: bool) -> LaunchResult:
    from orchestrator.tuning import cluster
    with cluster.connected(config.resources.address, meanwhile=_driver_tensorflow):
        plan = _plan(config)
        experiments.update_manifest(exp_dir, status="running", resumed=manifest.get("resumed", 0) + 1,
                                    **experiments.process_identity())
        return _guarded(exp_dir, lambda: _run(config, dataset, plan, exp_dir, console, started, manifest.get("checks", []), restore=restore))


def _driver_tensorflow() -> None:
    """TensorFlow and Keras in the driver (evaluation, export), imported while Ray starts (`cluster.connect`)."""
    from orchestrator.train.distribute import prepare_driver

    prepare_driver()
    import keras  # noqa: F401


def _guarded(exp_dir: Path, body) -> LaunchResult:
    """Keep manifest.json's status true whatever happens inside the run; a full disk anywhere (a
    trial's checkpoint, the export, the report) is one line and a resumable experiment."""
    try:
        return body()
    except (KeyboardInterrupt, Interrupted):
        _record(exp_dir, status="interrupted")
        raise Interrupted(exp_dir) from None
    except BaseException as exc:
        if disk.stopped_by_full_disk(exc, exp_dir):
            _record(exp_dir, status="interrupted")
            raise disk.full_error(exp_dir) from exc
        _record(exp_dir, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise


def _record(exp_dir: Path, **status) -> None:
    """The status, if the disk still takes it; otherwise the manifest keeps 'running', which
    `experiments.effective_status` reads as 'interrupted' once this process is gone."""
    with contextlib.suppress(OSError):
        experiments.update_manifest(exp_dir, **status)


def _start_board(config: ExperimentConfig, exp_dir: Path, console: Console, restore: bool) -> None:
    if not config.output.tensorboard:
        return
    from orchestrator.report.tensorboard import write_hparams_config
    from orchestrator.train.distribute import prepare_driver

    prepare_driver()
    if not restore:
        write_hparams_config(exp_dir / BOARD_DIR, config)
    when = "trial by trial as they end (trials log into shared storage)" if config.output.storage else "live"
    console.print(f"gg-train: watch {when} with  gg-train tensorboard {exp_dir.name} --runs-dir {exp_dir.parent}", highlight=False)


def _run(config: ExperimentConfig, dataset: Dataset, plan, exp_dir: Path, console: Console, started: float,
         checks: list[dict], restore: bool) -> LaunchResult:
    from orchestrator.pipeline import conclude
    from orchestrator.tuning import run as tuning_run
    from orchestrator.results.export import Checker

    metric, mode = selection(config)
    announce(config, dataset, plan, exp_dir, console, checks, restore)
    checker = Checker()  # the export proof's fresh process: its imports overlap the trials
    try:
        _start_board(config, exp_dir, console, restore)
        from orchestrator.tuning.inputs import trial_inputs

        setup, data = trial_inputs(config, dataset, plan, exp_dir)
        total = len(config.variants) * config.search.samples
        phases.enter(phases.TRAINING, exp_dir)
        outcomes = tuning_run.run(config, plan, exp_dir, setup, data, Progress(console, total, metric, mode), restore=restore)
        evaluating = functools.partial(conclude.evaluate, config, dataset, exp_dir, outcomes, checks)
        curve, evaluated = _learning_curve_trials(config, plan, exp_dir, setup, data, outcomes, console, restore, evaluating)
        built = conclude.finish(dataset, exp_dir, evaluated.result(), curve, checker)
    finally:
        checker.close()
    tracking.record_winner(config.output.mlflow, exp_dir, built, functools.partial(console.print, highlight=False))
    seconds = time.monotonic() - started
    experiments.update_manifest(exp_dir, status="finished" if built.get("best") is not None else "failed",
                                seconds=round(seconds, 1), trials=built["trials"])
    return LaunchResult(exp_dir, built, seconds)


def _learning_curve_trials(config: ExperimentConfig, plan, exp_dir: Path, setup, data, outcomes, console: Console,
                           restore: bool, evaluating) -> tuple[list, Future]:
    """Would more data help, and does the winner need its size? Retrains of its recipe (tuning/curve.py),
    while the driver evaluates the trials (`evaluating`, in the background: it does not read the curve)."""
    from orchestrator.results.evaluation import handed_over
    from orchestrator.results.selection import select
    from orchestrator.tuning.curve import announcement, curve_fractions, ladder_rungs, run_curve

    metric, mode = selection(config)
    _, winner = select([handed_over(o) for o in outcomes], metric, mode)
    if not config.diagnosis.learning_curve or winner is None:
        phases.enter(phases.EVALUATION, exp_dir)
        return [], in_background(evaluating, "evaluation")
    fractions, rungs = curve_fractions(config.diagnosis.curve_fractions), ladder_rungs(config, winner)
    phases.enter(phases.LEARNING_CURVE, exp_dir)
    evaluated = in_background(evaluating, "evaluation")
    console.print(announcement(winner.variant, fractions, rungs), highlight=False)
    curve = run_curve(config, plan, exp_dir, setup, data, winner, Progress(console, len(fractions) + len(rungs), metric, mode), restore)
    phases.enter(phases.EVALUATION, exp_dir)  # what needs the curve: its points, the ladder, the diagnosis
    return curve, evaluated
