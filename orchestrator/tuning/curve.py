"""The learning curve's trials: the winner's recipe and hyperparameters retrained on fractions of the
training split *and on all of it*, as a second Tune run of the same experiment (`runs/<name>/learning_curve/`);
for the MLP family, also on all of it at every other rung of the capacity ladder (`search.hidden_ladder`,
`diagnosis.capacity_ladder`), so the capacity sentence compares the same recipe across sizes
(`results.capacity`). A CNN's or a user model's size is not a ladder: no rung points.

Every point is one unselected retrain, so the points compare like with like: the 100% point is
not the winner itself (the best of every trial on validation, luck of its seed included) but the
same recipe trained again, and all points share one curve seed (`curve_seed`) drawn apart from the
trials' seeds, so none inherits the seed the selection favoured and every fraction starts from the
same initial weights.

They get the same `TrialData` as every trial (train and validation only; the trial draws its
stratified fraction itself, `data.split.train_subset`), no scheduler (each point must run its
recipe to the end) and no TensorBoard run (they are not variants to compare). An interrupted
experiment resumes them from Tune's state like the main run.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Callable

import numpy as np
from ray import tune

from orchestrator.config import ExperimentConfig
from orchestrator.folder.experiments import CURVE_DIR
from orchestrator.models.catalogue import PARAM_PREFIX
from orchestrator.models.variants import selection
from orchestrator.names import trial_name
from orchestrator.tuning.outcomes import TrialOutcome
from orchestrator.tuning.resources import Plan
from orchestrator.tuning.run import HPARAM_KEYS, fit_settled, outcomes, run_config
from orchestrator.tuning.storage import TuneFolder


FULL = 1.0  # the whole training split: always a point of its own


def curve_fractions(fractions: list[float]) -> list[float]:
    """The points the curve trains: the configured fractions and the full split."""
    return sorted({*fractions, FULL})


def curve_seed(experiment_seed: int) -> int:
    """The one seed of every curve point: from its own stream of the experiment's seed, so the same
    config gives the same curve, and not the stream the trials' seeds come from (`tuning.search`)."""
    return int(np.random.default_rng([experiment_seed, 1]).integers(0, 2**31 - 1))


def ladder_rungs(config: ExperimentConfig, winner: TrialOutcome) -> list[list[int]]:
    """The rungs the winner's recipe is retrained at besides its own: every other rung of the ladder,
    for the built-in MLP only (the one family whose size is `hidden`), when `diagnosis.capacity_ladder` asks."""
    hidden = winner.hparams.get("hidden")
    if not config.diagnosis.capacity_ladder or config.model.kind != "mlp" or hidden is None:
        return []
    return [list(rung) for rung in config.search.hidden_ladder if list(rung) != list(hidden)]


def curve_points(winner: TrialOutcome, fractions: list[float], rungs: list[list[int]]) -> dict[str, dict]:
    """Every point of the second run by name: the winner's network on each fraction, then each other
    rung on all rows (these carry `hidden`, and then the fractions carry the winner's, so every point
    sets the same keys)."""
    own = {"hidden": list(winner.hparams["hidden"])} if rungs else {}
    return {**{f"curve_{round(100 * f)}pct": {"train_fraction": f, **own} for f in curve_fractions(fractions)},
            **{"ladder_" + ("-".join(map(str, r)) or "linear"): {"train_fraction": FULL, "hidden": r} for r in rungs}}


def _point_value(points: dict[str, dict], key: str, config: dict):
    """One value of the point the grid names (a module function: the Tuner pickles it)."""
    return points[config["curve_point"]][key]


def curve_space(winner: TrialOutcome, fractions: list[float], seed: int, rungs: list[list[int]] = ()) -> dict:
    """The winner's Tune config, fixed but for its seed, with one grid dimension: the point, a named
    (training fraction, hidden layers) pair (`curve_points`). Its model.params (a CNN's filters, depth,
    kernel size) go back under their Tune prefix, where the trial reads them (`TrialSpec.from_config`):
    the same network, not the default one."""
    recipe = {(k if k in HPARAM_KEYS else PARAM_PREFIX + k): v for k, v in winner.hparams.items()}
    points = curve_points(winner, fractions, list(rungs))
    keys = next(iter(points.values()))
    return {**recipe, "variant": winner.variant, "kind": winner.kind, "epochs": winner.max_epochs, "seed": seed,
            "curve_point": tune.grid_search(list(points)),
            **{key: tune.sample_from(functools.partial(_point_value, points, key)) for key in keys}}


def announcement(variant: str, fractions: list[float], rungs: list) -> str:
    """The console's line before the curve's trials: what is retrained, on what."""
    ladder = f", and on all of them at {len(rungs)} other rung(s) of the capacity ladder" if rungs else ""
    return (f"gg-train: learning curve: {variant}'s recipe retrained on " + ", ".join(f"{f:.0%}" for f in fractions)
            + f" of the training rows{ladder}")


def _curve_name(trial) -> str:
    """The point's name: the grid's value, which Tune has resolved when it names a trial (the values
    drawn from it are not yet); an experiment launched before the ladder resumes with fractions only."""
    config = trial.config
    return trial_name(config.get('curve_point') or 'curve_%dpct' % round(100 * config['train_fraction']), trial.trial_id)


def restore_curve(path: str, trainable, space: dict) -> tune.Tuner:
    """The interrupted second run, its space given again: Tune stores sample_from values as
    placeholders that it resolves from it (without it, a point still pending at the interruption
    trains on the placeholders)."""
    return tune.Tuner.restore(path, trainable=trainable, param_space=space, resume_unfinished=True, resume_errored=True)


def run_curve(config: ExperimentConfig, plan: Plan, exp_dir: Path, setup, data, winner: TrialOutcome,
              on_event: Callable[[str, dict], None], restore: bool = False) -> list[TrialOutcome]:
    """Run (or resume) the learning-curve and ladder trials to the end; TrialOutcomes with `hparams["train_fraction"]`.
    Raises `Interrupted` on Ctrl-C, like the main run."""
    from orchestrator.train.tune_adapter import tune_trainable

    setup = dataclasses.replace(setup, board_root=None, board_in_trial=False)
    trainable = tune.with_resources(tune.with_parameters(tune_trainable, setup=setup, data=data), plan.trial_resources())
    folder = TuneFolder(exp_dir, CURVE_DIR, config.output.storage)
    space = curve_space(winner, config.diagnosis.curve_fractions, curve_seed(config.seed), ladder_rungs(config, winner))

    def restored():
        folder.drop_pickled_errors()
        return restore_curve(folder.path, trainable, space)

    restoring = restore and tune.Tuner.can_restore(folder.path)
    if restoring:
        tuner = restored()
    else:
        metric, mode = selection(config)
        tuner = tune.Tuner(
            trainable,
            param_space=space,
            tune_config=tune.TuneConfig(metric=metric, mode=mode, max_concurrent_trials=plan.max_concurrent,
                                        reuse_actors=True, trial_name_creator=_curve_name, trial_dirname_creator=_curve_name),
            run_config=run_config(config, folder, on_event, checkpoints_to_keep=1),
        )
    return outcomes(fit_settled(tuner, restored, folder, on_event, config.failure.max_retries, restoring), folder)
