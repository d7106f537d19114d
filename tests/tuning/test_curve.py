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


def resolved(space: dict) -> list[dict]:
    """The trial configs Tune makes of a curve space (its grid over points, each point's values)."""
    from ray.tune.search.variant_generator import generate_variants

    return [config for _, config in generate_variants(space)]


def test_every_point_retrains_the_winners_recipe_with_the_curve_seed_not_the_winners():
    configs = resolved(curve_space(winner(), [0.5, 0.25], curve_seed(7)))
    assert [c.pop("train_fraction") for c in configs] == [0.25, 0.5, 1.0]
    assert [c.pop("curve_point") for c in configs] == ["curve_25pct", "curve_50pct", "curve_100pct"]
    for config in configs:
        assert config == {**winner().hparams, "seed": curve_seed(7), "variant": "dropout_early_stopping",
                          "kind": "dropout_early_stopping", "epochs": 30}
        assert config["seed"] != winner().hparams["seed"]


def test_the_ladder_retrains_the_winners_recipe_on_all_rows_at_every_other_rung():
    """Capacity compares like with like: the same recipe, hyperparameters and seed at each rung (issue 26 item 5)."""
    from orchestrator.config import build_config
    from orchestrator.tuning.curve import ladder_rungs

    config = build_config({"data": {"synthetic": {"n_samples": 300}}, "model": {"family": "mlp"},
                           "search": {"hidden_ladder": [[], [16], [32, 16], [64, 32]]}})
    rungs = ladder_rungs(config, winner())
    assert rungs == [[], [16], [64, 32]]
    configs = resolved(curve_space(winner(), [0.5], curve_seed(7), rungs))
    assert [(c["train_fraction"], c["hidden"], c["curve_point"]) for c in configs] == [
        (0.5, [32, 16], "curve_50pct"), (1.0, [32, 16], "curve_100pct"),
        (1.0, [], "ladder_linear"), (1.0, [16], "ladder_16"), (1.0, [64, 32], "ladder_64-32")]
    recipe = {k: v for k, v in winner().hparams.items() if k not in ("hidden", "seed")}
    assert all({k: c[k] for k in recipe} == recipe and c["seed"] == curve_seed(7) for c in configs)
    off = config.model_copy(update={"diagnosis": config.diagnosis.model_copy(update={"capacity_ladder": False})})
    cnn = config.model_copy(update={"model": config.model.model_copy(update={"family": "cnn"})})
    assert ladder_rungs(off, winner()) == [] and ladder_rungs(cnn, winner()) == []


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
    spec = TrialSpec.from_config(next(c for c in resolved(space) if c["train_fraction"] == 0.5))
    assert spec.params == {"filters": 64, "depth": 3, "kernel_size": 5} and spec.seed == curve_seed(7)

