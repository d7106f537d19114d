"""The learning curve's trials (`tuning/curve.py`): every point, the full split's too, is a retrain
of the winner's recipe with one seed that is not the winner's."""

from __future__ import annotations

from orchestrator.tuning.curve import curve_fractions, curve_seed, curve_space
from orchestrator.tuning.outcomes import TrialOutcome


def winner() -> TrialOutcome:
    hparams = {"learning_rate": 0.01, "hidden": [32, 16], "l2": 0.001, "dropout": 0.2, "patience": 5, "batch_size": 32,
               "seed": 12345}
    return TrialOutcome("t1", "dropout_early_stopping", "dropout_early_stopping", hparams, {"val_loss": 0.4}, 30, "early_stopped")


def test_the_full_split_is_a_point_of_its_own():
    assert curve_fractions([0.75, 0.25, 0.5]) == [0.25, 0.5, 0.75, 1.0]
    assert curve_fractions([0.5, 1.0]) == [0.5, 1.0]


def test_every_point_retrains_the_winners_recipe_with_the_curve_seed_not_the_winners():
    space = curve_space(winner(), [0.5, 0.25], curve_seed(7))
    assert space.pop("train_fraction") == {"grid_search": [0.25, 0.5, 1.0]}
    assert space == {**winner().hparams, "seed": curve_seed(7), "variant": "dropout_early_stopping",
                     "kind": "dropout_early_stopping", "epochs": 30}
    assert space["seed"] != winner().hparams["seed"]


def test_the_curve_seed_is_reproducible_and_apart_from_the_trials_seed_stream():
    import numpy as np

    assert curve_seed(7) == curve_seed(7) != curve_seed(8)
    trials = np.random.default_rng(7).integers(0, 2**31 - 1, size=100)  # the stream `tuning.search` draws from
    assert curve_seed(7) not in set(trials.tolist())


def test_a_cnn_winners_size_goes_back_where_the_trial_reads_it():
    from orchestrator.train.spec import TrialSpec

    cnn = winner()
    cnn.hparams.update(filters=64, depth=3, kernel_size=5)  # model.params, as `tuning.run.outcomes` strips them
    space = curve_space(cnn, [0.5], curve_seed(7))
    assert {space[k] for k in ("param_filters", "param_depth", "param_kernel_size")} == {64, 3, 5}
    spec = TrialSpec.from_config({**space, "train_fraction": 0.5})
    assert spec.params == {"filters": 64, "depth": 3, "kernel_size": 5} and spec.seed == curve_seed(7)
