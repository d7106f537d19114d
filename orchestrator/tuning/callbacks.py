"""Tune callbacks for what the trials leave behind outside the experiment's own folder: Train's
placement groups (multi-worker trials), the TensorBoard runs in shared storage, and the trials'
MLflow runs (`output.mlflow`)."""

from __future__ import annotations

import math
import time
from pathlib import Path

from ray import tune

from orchestrator.config import ExperimentConfig
from orchestrator.folder.experiments import BOARD_DIR
from orchestrator.names import trial_name
from orchestrator.tuning import mlflow_trials
from orchestrator.tuning.storage import TuneFolder


def mlflow_runs(config: ExperimentConfig, folder: TuneFolder) -> list:
    """Ray's MLflow logger for a Tune run (the variants' trials or the learning curve's), or none."""
    if config.output.mlflow is None:
        return []
    from orchestrator.tuning.mlflow_logger import TrialRuns  # Ray's MLflow module imports mlflow: only with a URI

    return [TrialRuns(config.output.mlflow, experiment_name=mlflow_trials.experiment_name(folder.exp_dir),
                      tags={mlflow_trials.STAGE_TAG: mlflow_trials.stage(folder)})]


class TrainGroupCleanup(tune.Callback):
    """Multi-worker trials: when Tune ends a trial (ASHA, its last epoch, an error, a retry) its Train
    controller dies with the trial's actor before it frees the workers' placement group; remove it
    here, from the id the trial's reports carry, so the next trial's workers can start."""

    def _remove(self, trial) -> None:
        import ray
        from ray.util.placement_group import PlacementGroup, remove_placement_group

        group = (trial.last_result or {}).get("train_pg")
        if group and ray.util.placement_group_table().get(group, {}).get("state") not in (None, "REMOVED"):
            remove_placement_group(PlacementGroup(ray.PlacementGroupID(bytes.fromhex(group))))

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._remove(trial)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._remove(trial)

    def on_trial_recover(self, iteration, trials, trial, **info):
        self._remove(trial)  # before Tune retries it: its new workers need those resources

    def on_experiment_end(self, trials, **info):
        for trial in trials:
            self._remove(trial)


class BoardPull(tune.Callback):
    """Shared storage: a trial's TensorBoard run comes back into the experiment's `tensorboard/`
    while it trains and when it ends, so TensorBoard on the driver follows trials on every node.
    A trial's folder reaches storage with each checkpoint (Tune syncs it then), so a running trial
    is pulled after a checkpoint, at most every `PULL_EVERY_S` seconds; one that ends, always.
    Pulls run one at a time on a thread of their own (a slow bucket never holds up Tune's loop, and
    two pulls never write the same file); `run` pulls them all once more at the end."""

    PULL_EVERY_S = 30.0

    def __init__(self, folder: TuneFolder) -> None:
        self.folder = folder
        self._last: dict[str, float] = {}  # trial id → when its last pull was queued
        self._queued: set[str] = set()  # trial names queued and not yet started
        self._pool = None

    def __getstate__(self) -> dict:
        return {"folder": self.folder}  # pickled into tuner.pkl: the thread belongs to this run

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["folder"])

    def _queue(self, trial) -> None:
        from concurrent.futures import ThreadPoolExecutor

        name = trial_name(trial.config["variant"], trial.trial_id)
        self._last[trial.trial_id] = time.monotonic()
        if name in self._queued:  # the queued pull will copy what is there when it runs
            return
        self._queued.add(name)
        self._pool = self._pool or ThreadPoolExecutor(1, thread_name_prefix="gg-board-pull")
        self._pool.submit(self._pull, name)

    def _pull(self, name: str) -> None:
        self._queued.discard(name)
        try:
            self.folder.pull_boards(Path(self.folder.exp_dir) / BOARD_DIR, name)
        except OSError:  # storage unreachable for a moment: a later pull, or the one at the end, brings it
            pass

    def on_checkpoint(self, iteration, trials, trial, checkpoint, **info):
        if time.monotonic() - self._last.get(trial.trial_id, -math.inf) >= self.PULL_EVERY_S:
            self._queue(trial)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._queue(trial)

    on_trial_error = on_trial_complete

    def on_experiment_end(self, trials, **info):
        if self._pool is not None:  # every queued pull lands before `run` reads the folder
            self._pool.shutdown(wait=True)
            self._pool = None
