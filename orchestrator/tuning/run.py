"""The Tuner run: build (or restore) it over the trial trainable, run it to the end, and hand the
results on as plain `TrialOutcome`s, so the evaluation and the report never import Ray.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path
from typing import Callable

from ray import tune

from orchestrator.folder import disk, tune_state
from orchestrator.config import ExperimentConfig, HParams
from orchestrator.folder.experiments import BOARD_DIR, TUNE_DIR
from orchestrator.models.catalogue import PARAM_PREFIX
from orchestrator.models.variants import selection
from orchestrator.names import trial_name
from orchestrator.tuning.outcomes import USABLE, Interrupted, TrialOutcome, trial_status
from orchestrator.tuning import restart_guard, trial_logs
from orchestrator.tuning.resources import Plan
from orchestrator.tuning.schedulers import scheduler
from orchestrator.tuning.callbacks import BoardPull, TrainGroupCleanup, mlflow_runs
from orchestrator.tuning.epoch_rows import CsvRows, JsonRows
from orchestrator.tuning.seal_callback import StateSeal
from orchestrator.tuning.search import param_space
from orchestrator.tuning.storage import TuneFolder

_interrupted = threading.Event()
_disk_low = threading.Event()
# A restored Tuner brings back its pickled callbacks without their printer: they print through this.
_printer: Callable[[str, dict], None] | None = None


class ProgressCallback(tune.Callback):
    """Forwards Tune's trial events, as plain dicts, to a printer that knows nothing of Ray, and
    notes a Ctrl-C: Tune stops gracefully on SIGINT and `fit` returns normally, so without this
    note a partial experiment would be evaluated as if it had finished."""

    def setup(self, **info):
        tune_handler = signal.getsignal(signal.SIGINT)

        def on_sigint(signum, frame):
            _interrupted.set()
            if callable(tune_handler):
                tune_handler(signum, frame)
            else:
                raise KeyboardInterrupt

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_sigint)

    def __init__(self, on_event: Callable[[str, dict], None], trial_logs: str | None = None) -> None:
        self.on_event = on_event
        self.trial_logs = trial_logs  # runs/NAME/logs/trials: an errored trial's traceback, kept

    def __getstate__(self) -> dict:
        # The Tuner pickles its callbacks into tuner.pkl; the printer (a console, a lock) stays behind.
        return {"on_event": None, "trial_logs": getattr(self, "trial_logs", None)}

    def _emit(self, kind: str, info: dict) -> None:
        target = self.on_event or _printer
        if target is not None:
            target(kind, info)

    @staticmethod
    def _info(trials, trial, result: dict | None = None) -> dict:
        running = sum(1 for t in trials if t.status == "RUNNING" and t is not trial)
        return {"trial": _tune_trial_name(trial), "variant": trial.config.get("variant"), "running": running,
                "result": dict(result or trial.last_result or {})}

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self._emit("result", self._info(trials, trial, result))

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._emit("complete", self._info(trials, trial))

    def on_trial_error(self, iteration, trials, trial, **info):
        self._emit("error", {**self._info(trials, trial), **trial_logs.kept_error(trial, getattr(self, "trial_logs", None))})


class DiskWatch(tune.Callback):
    """Stops the experiment the way Ctrl-C does (Tune saves its state, trials keep their checkpoints)
    when the disk under it runs low; `fit` then raises `disk.full_error`. Checked on every trial
    event, so a worker's failed write (an error, or a retry) is noticed too."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def _check(self, **info) -> None:
        if not _disk_low.is_set() and disk.is_low(Path(self.folder)):
            _disk_low.set()
            os.kill(os.getpid(), signal.SIGINT)

    on_trial_result = on_trial_error = on_trial_recover = on_trial_save = _check


def _tune_trial_name(trial) -> str:
    """Tune's name and folder for a trial: `names.trial_name`, the one owner of that format."""
    return trial_name(trial.config["variant"], trial.trial_id)


HPARAM_KEYS = (*HParams.model_fields, "seed", "train_fraction")  # what a TrialOutcome keeps of its Tune config


def outcomes(results, folder: TuneFolder | None = None) -> list[TrialOutcome]:
    """ResultGrid → TrialOutcomes, in a stable order (variant, trial id). With object storage, each
    usable trial's checkpoint is fetched into the experiment folder (`TuneFolder.fetch`)."""
    out = []
    for result in results:
        config, metrics = result.config or {}, dict(result.metrics or {})
        status = trial_status(metrics, errored=result.error is not None)
        out.append(TrialOutcome(
            trial_id=str(metrics.get("trial_id") or Path(result.path).name),
            variant=str(config.get("variant", "?")),
            kind=str(config.get("kind", "?")),
            hparams={**{k: config[k] for k in HPARAM_KEYS if k in config},
                     **{k[len(PARAM_PREFIX):]: v for k, v in config.items() if k.startswith(PARAM_PREFIX)}},  # model.params
            metrics=metrics,
            max_epochs=int(config.get("epochs", 0)),
            status=status,
            checkpoint=_checkpoint(result.checkpoint, status, folder),
            error=(str(result.error).strip().splitlines() or [""])[-1][:300] if result.error is not None else None,
        ))
    return sorted(out, key=lambda o: (o.variant, o.trial_id))


def _checkpoint(checkpoint, status: str, folder: TuneFolder | None) -> str | None:
    """The trial's last checkpoint as a local folder; from object storage only those that can win."""
    if checkpoint is None or (folder is not None and folder.fetches and status not in USABLE):
        return None
    return folder.fetch(checkpoint) if folder is not None else checkpoint.path


def can_restore(folder: TuneFolder) -> bool:
    return tune.Tuner.can_restore(folder.path)


def run(config: ExperimentConfig, plan: Plan, exp_dir: Path, setup, data, on_event: Callable[[str, dict], None], restore: bool = False):
    """Build (or restore) the Tuner over the trial trainable and run it to the end; returns
    TrialOutcomes. Raises `Interrupted` when Ctrl-C stopped it before every trial ended."""
    from orchestrator.train.tune_adapter import tune_trainable

    trainable = tune.with_resources(tune.with_parameters(tune_trainable, setup=setup, data=data), plan.trial_resources())
    folder = TuneFolder(exp_dir, TUNE_DIR, config.output.storage)

    def restored():
        # tuner.pkl is a pickle: we only ever restore experiment folders this tool wrote.
        # param_space again: Tune stores sample_from values as placeholders that it resolves from it.
        folder.drop_pickled_errors()
        return tune.Tuner.restore(folder.path, trainable=trainable, param_space=_space(config),
                                  resume_unfinished=True, resume_errored=True)

    tuner = restored() if restore else _new_tuner(config, plan, folder, trainable, on_event, setup.board_in_trial)
    try:
        results = fit_settled(tuner, restored, folder, on_event, config.failure.max_retries, restore)
    finally:
        trial_logs.keep_worker_logs(exp_dir)
    if setup.board_in_trial:  # shared storage: the trials' TensorBoard runs come back to the experiment folder
        folder.pull_boards(Path(exp_dir) / BOARD_DIR)
    return outcomes(results, folder)


def fit_settled(tuner, restored: Callable, folder: TuneFolder, on_event, retries: int, is_restored: bool = False):
    """`fit`, then again from Tune's saved state while every errored trial lost its worker. Tune
    retries a trial whose worker dies only while the trial is RUNNING; a worker killed while a
    reused actor was being handed the next trial errors that trial outright (seen in
    scripts/bench_soak.py). Errors of any other kind end it as before. The tuner.pkl each Tuner
    writes is sealed first: resume unpickles only that one."""
    exp_dir = Path(folder.exp_dir)
    _seal_tuner_state(folder)
    with restart_guard.restoring(folder.local) if is_restored else contextlib.nullcontext():
        results = fit(tuner, exp_dir, on_event)
    for _ in range(retries):
        errors = [r.error for r in results if r.error is not None]
        if not errors or not all(_worker_died(e) for e in errors):
            break
        tuner = restored()
        _seal_tuner_state(folder)
        with restart_guard.restoring(folder.local):
            results = fit(tuner, exp_dir, on_event)
    return results


def _seal_tuner_state(folder: TuneFolder) -> None:
    """Seal the tuner.pkl a Tuner just wrote (from storage, with shared storage)."""
    folder.pull_state()
    tune_state.record(Path(folder.exp_dir), folder.name)


def _worker_died(error) -> bool:
    """A lost worker, as the exception or (restored, `TuneFolder.drop_pickled_errors`) as its text."""
    from ray.exceptions import RayActorError

    return isinstance(error, RayActorError) or any(
        sign in str(error) for sign in ("worker process has died", "RayActorError", "ActorDiedError", "ActorUnavailableError"))


def fit(tuner, storage: Path, on_event: Callable[[str, dict], None]):
    """`tuner.fit()` with the Ctrl-C bookkeeping; the ResultGrid, or `Interrupted` when Ctrl-C
    stopped it before every trial ended."""
    global _printer
    _printer = on_event
    _interrupted.clear()
    _disk_low.clear()
    before = signal.getsignal(signal.SIGINT)
    try:
        results = tuner.fit()
    finally:
        # Tune leaves its own SIGINT handler behind after a normal fit; a later Ctrl-C (during the
        # evaluation or the export check) must interrupt again.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, before)
    if _disk_low.is_set():
        raise disk.full_error(storage)
    if _interrupted.is_set() or results.num_terminated + results.num_errors < len(results):
        raise Interrupted(storage)
    return results


def _space(config: ExperimentConfig) -> dict:
    """The Tune param space: the seeded per-variant draws, or nothing when TPE suggests every config."""
    return {} if config.search.algorithm == "tpe" else param_space(config)


def _searcher(config: ExperimentConfig, metric: str, mode: str):
    if config.search.algorithm != "tpe":
        return None
    from orchestrator.tuning.tpe import PerVariantTPE

    return PerVariantTPE(config, metric, mode)


def run_config(config: ExperimentConfig, folder: TuneFolder, on_event, checkpoints_to_keep: int,
               board_pull: bool = False) -> tune.RunConfig:
    """Tune's run settings, one place for the main run and the learning curve."""
    exp_dir = str(Path(folder.exp_dir).resolve())
    return tune.RunConfig(
        name=folder.name,
        storage_path=folder.storage_path,
        checkpoint_config=tune.CheckpointConfig(num_to_keep=checkpoints_to_keep),
        # A trial whose process dies is retried from its last checkpoint, up to max_retries times.
        failure_config=tune.FailureConfig(max_failures=config.failure.max_retries),
        # Shared storage: what a trial writes in its own folder (its TensorBoard run) reaches it too.
        sync_config=tune.SyncConfig(sync_artifacts=folder.shared is not None),
        callbacks=[ProgressCallback(on_event, trial_logs.errors_folder(exp_dir)), DiskWatch(exp_dir), StateSeal(exp_dir, folder.name),
                   CsvRows(), JsonRows(), *([BoardPull(folder)] if board_pull else []),
                   *([TrainGroupCleanup()] if config.resources.workers_per_trial > 1 else []), *mlflow_runs(config, folder)],
        verbose=0,
    )


def _new_tuner(config: ExperimentConfig, plan: Plan, folder: TuneFolder, trainable, on_event, board_pull: bool):
    metric, mode = selection(config)
    tpe = config.search.algorithm == "tpe"
    return tune.Tuner(
        trainable,
        param_space=_space(config),
        tune_config=tune.TuneConfig(
            metric=metric,
            mode=mode,
            search_alg=_searcher(config, metric, mode),
            scheduler=scheduler(config),
            # The grid holds every (variant, sample); TPE's searcher hands out every trial itself.
            num_samples=len(config.variants) * config.search.samples if tpe else 1,
            max_concurrent_trials=plan.max_concurrent,
            reuse_actors=True,  # TensorFlow imported once per worker; `run_trial` starts each trial clean
            trial_name_creator=_tune_trial_name,
            trial_dirname_creator=_tune_trial_name,
        ),
        run_config=run_config(config, folder, on_event, config.output.checkpoints_to_keep, board_pull),
    )
