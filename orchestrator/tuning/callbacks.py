"""Tune callbacks for what the trials leave behind outside the experiment's own folder: Train's
placement groups (multi-worker trials) and the TensorBoard runs in shared storage."""

from __future__ import annotations

from pathlib import Path

from ray import tune

from orchestrator.experiments import BOARD_DIR
from orchestrator.names import trial_name
from orchestrator.tuning.storage import TuneFolder


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
    when the trial ends (what its last report synced), so TensorBoard shows finished trials while
    the others train; `run` pulls them all once more at the end."""

    def __init__(self, folder: TuneFolder) -> None:
        self.folder = folder

    def _pull(self, iteration, trials, trial, **info) -> None:
        try:
            self.folder.pull_boards(Path(self.folder.exp_dir) / BOARD_DIR, trial_name(trial.config["variant"], trial.trial_id))
        except OSError:  # storage unreachable for a moment: the pull at the end brings it
            pass

    on_trial_complete = on_trial_error = _pull
