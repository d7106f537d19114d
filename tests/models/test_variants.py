"""Variant recipes: which hyperparameters each searches, fixes, or switches off."""

from __future__ import annotations

import pytest

from orchestrator.config import (
    Choice,
    ExperimentConfig,
    LogUniform,
    Uniform,
    build_config,
)
from orchestrator.models.catalogue import CATALOGUE, IMAGE_KINDS
from orchestrator.models.variants import SEARCH_DOMAINS, resolve_params, variant_epochs

DOMAINS = (LogUniform, Uniform, Choice)


def by_kind(config: ExperimentConfig) -> dict[str, dict]:
    return {v.kind: resolve_params(v, config) for v in config.variants}


def test_every_kind_has_a_recipe_and_the_default_list_holds_the_table_kinds():
    assert {v.kind for v in ExperimentConfig().variants} == set(CATALOGUE) - set(IMAGE_KINDS)
    assert IMAGE_KINDS and all(CATALOGUE[k].augment for k in IMAGE_KINDS)


def test_baseline_has_no_regularization():
    params = by_kind(ExperimentConfig())["baseline"]
    assert params["l2"] == 0
    assert params["dropout"] == 0
    assert params["patience"] == 0
    # what it does use is still searched or fixed
    assert isinstance(params["learning_rate"], LogUniform)
    assert params["batch_size"] == 32


def test_l2_variant_searches_l2_only_among_regularizers():
    params = by_kind(ExperimentConfig())["l2"]
    assert isinstance(params["l2"], LogUniform)
    low, high = params["l2"].loguniform
    assert 0 < low < high
    assert params["dropout"] == 0 and params["patience"] == 0


def test_dropout_variant_searches_dropout():
    params = by_kind(ExperimentConfig())["dropout"]
    assert isinstance(params["dropout"], Uniform)
    low, high = params["dropout"].uniform
    assert 0 <= low < high < 1
    assert params["l2"] == 0 and params["patience"] == 0


def test_early_stopping_uses_fixed_patience():
    config = build_config({"hparams": {"patience": 7}})
    params = by_kind(config)
    assert params["early_stopping"]["patience"] == 7
    assert params["dropout_early_stopping"]["patience"] == 7
    assert params["early_stopping"]["l2"] == 0 and params["early_stopping"]["dropout"] == 0
    assert isinstance(params["dropout_early_stopping"]["dropout"], Uniform)


def test_combined_variant_uses_both():
    params = by_kind(ExperimentConfig())["l2_dropout"]
    assert isinstance(params["l2"], LogUniform) and isinstance(params["dropout"], Uniform)
    assert params["patience"] == 0


def test_search_disabled_fixes_every_value():
    config = build_config({"search": {"enabled": False}, "hparams": {"l2": 0.02, "dropout": 0.25, "patience": 4}})
    for kind, params in by_kind(config).items():
        assert not any(isinstance(v, DOMAINS) for v in params.values()), (kind, params)
        assert params["learning_rate"] == pytest.approx(1e-3)
        assert params["hidden"] == [128, 64]
    p = by_kind(config)
    assert p["l2"]["l2"] == pytest.approx(0.02)
    assert p["dropout"]["dropout"] == pytest.approx(0.25)
    assert p["early_stopping"]["patience"] == 4
    assert p["baseline"]["l2"] == 0 and p["baseline"]["dropout"] == 0


def test_variant_params_override_catalogue():
    config = build_config({
        "variants": [
            {"kind": "l2", "params": {"l2": 0.005, "hidden": [32]}},
            {"kind": "dropout", "params": {"dropout": {"uniform": [0.1, 0.2]}}},
        ],
    })
    l2, dropout = (resolve_params(v, config) for v in config.variants)
    assert l2["l2"] == pytest.approx(0.005)
    assert l2["hidden"] == [32]
    assert isinstance(l2["learning_rate"], LogUniform)  # not overridden: still the catalogue's
    assert dropout["dropout"] == Uniform(uniform=(0.1, 0.2))
    assert dropout["dropout"] != SEARCH_DOMAINS["dropout"]


def test_variant_params_override_hparams_when_search_is_off():
    config = build_config({
        "search": {"enabled": False},
        "hparams": {"learning_rate": 0.01},
        "variants": [{"kind": "l2", "params": {"learning_rate": 0.002}}, {"kind": "baseline"}],
    })
    l2, baseline = (resolve_params(v, config) for v in config.variants)
    assert l2["learning_rate"] == pytest.approx(0.002)
    assert baseline["learning_rate"] == pytest.approx(0.01)


def test_seed_recipe_resolves_as_written():
    from pathlib import Path

    from orchestrator.config import load_config

    config = load_config(Path(__file__).resolve().parents[2] / "configs" / "seed.yaml")
    baseline, l2, des = (resolve_params(v, config) for v in config.variants)
    assert baseline == {"learning_rate": 0.001, "hidden": [128, 64], "l2": 0.0, "dropout": 0.0, "patience": 0, "batch_size": 32, "class_weight": "none",
                        "augment": 0.0}
    assert l2["hidden"] == [64, 32] and l2["l2"] == 0.01 and l2["dropout"] == 0
    assert des["dropout"] == [0.5, 0.3] and des["patience"] == 10 and des["l2"] == 0
    assert [variant_epochs(v, config) for v in config.variants] == [100, 50, 100]


def test_variant_epochs_falls_back_to_training():
    config = build_config({"training": {"epochs": 12}, "variants": [{"kind": "baseline"}, {"kind": "l2", "epochs": 3}]})
    assert [variant_epochs(v, config) for v in config.variants] == [12, 3]


def test_a_class_weight_search_is_judged_on_the_class_balanced_validation_loss():
    """Unweighted validation loss favours class_weight 'none' by construction; the balanced one does not."""
    from orchestrator.models.variants import selection

    searched = {"variants": [{"kind": "baseline", "params": {"class_weight": {"choice": ["none", "balanced"]}}}]}
    assert selection(build_config(searched)) == ("val_balanced_loss", "min")
    assert selection(build_config({"hparams": {"class_weight": "balanced"}})) == ("val_balanced_loss", "min")
    assert selection(ExperimentConfig()) == ("val_loss", "min")
    assert selection(build_config({**searched, "search": {"metric": "val_accuracy"}})) == ("val_accuracy", "max")


def test_imbalanced_data_gets_a_class_weighted_twin_of_every_variant_and_a_metric_that_sees_the_minority():
    from orchestrator.models.variants import selection, with_balanced_twins

    config = build_config({"variants": [{"kind": "baseline"}, {"kind": "l2", "name": "wd"}]})
    twinned = with_balanced_twins(config, imbalanced=True, n_classes=2)
    assert [v.label for v in twinned.variants] == ["baseline", "wd", "baseline_balanced", "wd_balanced"]
    assert [resolve_params(v, twinned)["class_weight"] for v in twinned.variants] == ["none", "none", "balanced", "balanced"]
    assert selection(twinned) == ("val_pr_auc", "max")
    assert selection(with_balanced_twins(config, True, n_classes=3)) == ("val_balanced_loss", "min")
    # Written into the experiment's config, it survives a round trip and is not doubled on resume.
    import yaml

    from orchestrator.config import to_yaml

    again = with_balanced_twins(build_config(yaml.safe_load(to_yaml(twinned))), True, 2)
    assert [v.label for v in again.variants] == [v.label for v in twinned.variants]


def test_balanced_data_the_users_choice_or_class_weighting_off_leave_the_variants_alone():
    from orchestrator.models.variants import with_balanced_twins

    config = build_config({"variants": [{"kind": "baseline"}]})
    assert with_balanced_twins(config, imbalanced=False, n_classes=2) is config
    off = build_config({"variants": [{"kind": "baseline"}], "search": {"class_weighting": "off"}})
    assert with_balanced_twins(off, imbalanced=True, n_classes=2) is off
    chosen = build_config({"variants": [{"kind": "baseline", "params": {"class_weight": {"choice": ["none", "balanced"]}}}]})
    assert with_balanced_twins(chosen, imbalanced=True, n_classes=2) is chosen
    user_metric = build_config({"variants": [{"kind": "baseline"}], "search": {"metric": "val_loss"}})
    assert with_balanced_twins(user_metric, True, 2).search.metric == "val_loss"
