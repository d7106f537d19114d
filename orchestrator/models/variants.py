"""A variant's hyperparameters, resolved; and the one place where the default search domains live.

A variant is a recipe from the catalogue (`models.catalogue`: which regularizers it switches on);
its hyperparameters come, in order, from the variant's own `params` in the config, from the search
domain below (when search is on), or from the config's fixed `hparams`. Hyperparameters a variant
does not use are switched off, so `baseline` really has no L2 term, no dropout layer and no early
stopping.
"""

from __future__ import annotations

from typing import Any

from orchestrator.config import (
    Choice,
    ExperimentConfig,
    LogUniform,
    Uniform,
    VariantConfig,
    domain_values,
)
from orchestrator.errors import ConfigError
from orchestrator.models.catalogue import CATALOGUE, PARAM_PREFIX, SWITCHED_OFF

# Searched when `search.enabled`; a variant's `params` replace any of these. The built-in MLP's
# hidden layers are searched too, over the config's capacity ladder (`search.hidden_ladder`).
SEARCH_DOMAINS: dict[str, Any] = {
    "learning_rate": LogUniform(loguniform=(5e-4, 5e-3)),
    "l2": LogUniform(loguniform=(1e-4, 3e-2)),
    "dropout": Uniform(uniform=(0.2, 0.6)),
}

# The CNN family's capacity (`models.cnn`): fixed values, and what is searched when search is on.
# Kernel size is searched with filters and depth: a wide kernel on small images is capacity too.
CNN_DEFAULTS: dict[str, Any] = {"filters": 32, "depth": 2, "kernel_size": 3, "dense": 64}
CNN_SEARCH: dict[str, Any] = {"filters": Choice(choice=[16, 32]), "depth": Choice(choice=[1, 2]),
                              "kernel_size": Choice(choice=[3, 5])}


def model_params(config: ExperimentConfig) -> dict[str, Any]:
    """The model-specific values every trial gets (`spec.params`), fixed or domains: the CNN
    family's capacity, overridden by `model.params`; a builder's `model.params` as given."""
    kind = config.model.kind
    if config.model.params and kind in ("mlp", "file"):
        raise ConfigError(f"model.params {sorted(config.model.params)} are not read by the {'MLP' if kind == 'mlp' else 'saved model'}",
                          "model.params is for a builder (model.builder) or the CNN family; use hparams for the MLP")
    base = {**CNN_DEFAULTS, **(CNN_SEARCH if config.search.enabled else {})} if kind == "cnn" else {}
    return {**base, **config.model.params}


def resolve_params(variant: VariantConfig, config: ExperimentConfig) -> dict[str, Any]:
    """Each hyperparameter of `variant` as a fixed value or a config domain object, then the
    model's own values (`model_params`) as param_<name>."""
    recipe = CATALOGUE[variant.kind]
    resolved: dict[str, Any] = {}
    searched = dict(SEARCH_DOMAINS)
    if config.model.kind in ("mlp", "auto"):  # only the built-in MLP reads `hidden`
        searched["hidden"] = Choice(choice=[list(rung) for rung in config.search.hidden_ladder])
    for name in type(config.hparams).model_fields:
        override = getattr(variant.params, name)
        if name not in recipe.uses():
            if override is not None:
                raise ConfigError(
                    f"variant '{variant.label}' ({variant.kind}) does not use '{name}'",
                    f"remove params.{name} or pick a kind that uses it: "
                    + ", ".join(k for k, r in CATALOGUE.items() if name in r.uses()),
                )
            resolved[name] = SWITCHED_OFF[name]
        elif override is not None:
            resolved[name] = override
        elif config.search.enabled and name in searched:
            resolved[name] = searched[name]
        else:
            resolved[name] = getattr(config.hparams, name)
    resolved.update({PARAM_PREFIX + k: v for k, v in model_params(config).items()})
    return resolved


def _weights_classes(config: ExperimentConfig) -> bool:
    """Can any variant train with class_weight 'balanced' (fixed, or as one choice of its search)?"""
    return any("balanced" in domain_values(resolve_params(v, config)["class_weight"]) for v in config.variants)


def selection(config: ExperimentConfig) -> tuple[str, str]:
    """(metric, mode) every trial is judged by, for ASHA and for choosing the winner: the config's
    `search.metric`, else the class-balanced validation loss when class weighting is in play (each
    class counts equally, so weighting the minority up is not penalized for it), else `val_loss`."""
    metric = config.search.metric or ("val_balanced_loss" if _weights_classes(config) else "val_loss")
    return metric, config.search.mode or ("min" if metric.endswith("loss") else "max")


BALANCED_SUFFIX = "_balanced"


def with_balanced_twins(config: ExperimentConfig, imbalanced: bool, n_classes: int) -> ExperimentConfig:
    """The config to run: on imbalanced data (and `search.class_weighting: auto`), every variant
    that trains without class weights gets a twin that weighs the classes 'balanced', so the
    comparison really tries both and the minority class is not ignored by default; and, unless the
    user chose `search.metric`, trials are judged by a metric that sees the minority class: its
    PR-AUC on validation for two classes (how well it is ranked, whatever the threshold, which is
    tuned afterwards on validation), the class-balanced validation loss for more. The choice is
    written into the experiment's config, so a resume judges the same way. Idempotent: a config in
    which some variant can already weigh its classes is returned as it is."""
    if not imbalanced or config.search.class_weighting != "auto" or _weights_classes(config):
        return config
    labels = {v.label for v in config.variants}
    twins = [
        v.model_copy(update={"name": v.label + BALANCED_SUFFIX, "params": v.params.model_copy(update={"class_weight": "balanced"})})
        for v in config.variants if v.label + BALANCED_SUFFIX not in labels
    ]
    metric = config.search.metric or ("val_pr_auc" if n_classes == 2 else "val_balanced_loss")
    search = config.search.model_copy(update={"metric": metric})
    return config.model_copy(update={"variants": [*config.variants, *twins], "search": search})


def variant_epochs(variant: VariantConfig, config: ExperimentConfig) -> int:
    return variant.epochs or config.training.epochs
