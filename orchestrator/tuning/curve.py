"""The learning curve's trials: the winner's recipe, hyperparameters and seed retrained on fractions
of the training split, as a second Tune run of the same experiment (`runs/<name>/learning_curve/`).

They get the same `TrialData` as every trial (train and validation only; the trial draws its
stratified fraction itself, `data.split.train_subset`), no scheduler (each point must run its
recipe to the end) and no TensorBoard run (they are not variants to compare). An interrupted
experiment resumes them from Tune's state like the main run.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

from ray import tune
from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

from orchestrator import state_seal, tune_state
from orchestrator.config import ExperimentConfig
from orchestrator.experiments import CURVE_DIR
from orchestrator.models.variants import selection
from orchestrator.tuning.outcomes import TrialOutcome
from orchestrator.tuning.resources import Plan
from orchestrator.tuning.run import DiskWatch, ProgressCallback, fit_settled, outcomes
from orchestrator.tuning.seal_callback import StateSeal


def curve_space(winner: TrialOutcome, fractions: list[float]) -> dict:
    """The winner's Tune config, fixed, with the training fraction as the one grid dimension."""
    return {**winner.hparams, "variant": winner.variant, "kind": winner.kind, "epochs": winner.max_epochs,
            "train_fraction": tune.grid_search(sorted(fractions))}


def _curve_name(trial) -> str:
    return f"curve_{round(100 * trial.config['train_fraction'])}pct_{trial.trial_id}"


def run_curve(config: ExperimentConfig, plan: Plan, storage: Path, setup, data, winner: TrialOutcome,
              on_event: Callable[[str, dict], None], restore: bool = False) -> list[TrialOutcome]:
    """Run (or resume) the learning-curve trials to the end; TrialOutcomes with `hparams["train_fraction"]`.
    Raises `Interrupted` on Ctrl-C, like the main run."""
    from orchestrator.train.tune_adapter import tune_trainable

    setup = dataclasses.replace(setup, board_root=None)
    trainable = tune.with_resources(tune.with_parameters(tune_trainable, setup=setup, data=data), plan.trial_resources())
    path = (storage / CURVE_DIR).resolve()
    def restored():
        state_seal.drop_pickled_errors(path)
        return tune.Tuner.restore(str(path), trainable=trainable, resume_unfinished=True, resume_errored=True)

    restoring = restore and tune.Tuner.can_restore(str(path))
    if restoring:
        tuner = restored()
    else:
        metric, mode = selection(config)
        tuner = tune.Tuner(
            trainable,
            param_space=curve_space(winner, config.diagnosis.curve_fractions),
            tune_config=tune.TuneConfig(metric=metric, mode=mode, max_concurrent_trials=plan.max_concurrent,
                                        reuse_actors=True, trial_name_creator=_curve_name, trial_dirname_creator=_curve_name),
            run_config=tune.RunConfig(name=CURVE_DIR, storage_path=str(storage.resolve()),
                                      checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                                      failure_config=tune.FailureConfig(max_failures=config.failure.max_retries),
                                      callbacks=[ProgressCallback(on_event), DiskWatch(str(storage.resolve())), StateSeal(str(storage.resolve()), CURVE_DIR),
                                                 CSVLoggerCallback(), JsonLoggerCallback()],
                                      verbose=0),
        )
    tune_state.record(storage, CURVE_DIR)
    return outcomes(fit_settled(tuner, restored, storage, on_event, config.failure.max_retries, CURVE_DIR, restoring))
