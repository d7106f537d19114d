"""The catalogue of regularization variants, and the one place where their search domains live.

A variant is a recipe (which regularizers it switches on); its hyperparameters come, in order, from
the variant's own `params` in the config, from the catalogue's search domain below (when search is
on), or from the config's fixed `hparams`. Hyperparameters a variant does not use are switched off,
so `baseline` really has no L2 term, no dropout layer and no early stopping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.config import Choice, ExperimentConfig, LogUniform, Uniform, VariantConfig
from orchestrator.errors import ConfigError


@dataclass(frozen=True)
class Recipe:
    l2: bool = False
    dropout: bool = False
    early_stopping: bool = False
    summary: str = ""

    def uses(self) -> set[str]:
        used = {"learning_rate", "hidden", "batch_size", "class_weight"}
        if self.l2:
            used.add("l2")
        if self.dropout:
            used.add("dropout")
        if self.early_stopping:
            used.add("patience")
        return used


CATALOGUE: dict[str, Recipe] = {
    "baseline": Recipe(summary="no regularization: the network is free to memorize the training set"),
    "l2": Recipe(l2=True, summary="L2 weight decay on the hidden layers' kernels"),
    "dropout": Recipe(dropout=True, summary="dropout after each hidden layer"),
    "early_stopping": Recipe(early_stopping=True, summary="stop when validation loss stops improving, keep the best weights"),
    "dropout_early_stopping": Recipe(dropout=True, early_stopping=True, summary="dropout plus early stopping"),
    "l2_dropout": Recipe(l2=True, dropout=True, summary="L2 weight decay plus dropout"),
}

# Searched when `search.enabled`; a variant's `params` replace any of these.
SEARCH_DOMAINS: dict[str, Any] = {
    "learning_rate": LogUniform(loguniform=(5e-4, 5e-3)),
    "hidden": Choice(choice=[[128, 64], [256, 128]]),
    "l2": LogUniform(loguniform=(1e-4, 3e-2)),
    "dropout": Uniform(uniform=(0.2, 0.6)),
}

# What an unused hyperparameter is set to: the regularizer is simply absent.
SWITCHED_OFF: dict[str, Any] = {"l2": 0.0, "dropout": 0.0, "patience": 0}


def resolve_params(variant: VariantConfig, config: ExperimentConfig) -> dict[str, Any]:
    """Each hyperparameter of `variant` as a fixed value or a config domain object."""
    recipe = CATALOGUE[variant.kind]
    resolved: dict[str, Any] = {}
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
        elif config.search.enabled and name in SEARCH_DOMAINS:
            resolved[name] = SEARCH_DOMAINS[name]
        else:
            resolved[name] = getattr(config.hparams, name)
    return resolved


def variant_epochs(variant: VariantConfig, config: ExperimentConfig) -> int:
    return variant.epochs or config.training.epochs
