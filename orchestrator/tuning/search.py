"""Config → Ray Tune `param_space` and scheduler; the only place that builds Tune domains.

The variants are a grid; each hyperparameter is a conditional `sample_from` that draws from the
*current variant's* domain (variants search different things) with a generator seeded from the
config, so the same config and seed give the same trials.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from ray import tune

from orchestrator.config import Choice, ExperimentConfig, LogUniform, Uniform
from orchestrator.models.variants import resolve_params, variant_epochs


def to_tune(value: Any) -> Any:
    """A config domain as a Tune domain; fixed values stay as they are."""
    if isinstance(value, LogUniform):
        return tune.loguniform(*value.loguniform)
    if isinstance(value, Uniform):
        return tune.uniform(*value.uniform)
    if isinstance(value, Choice):
        return tune.choice(list(value.choice))
    return value


def variant_spaces(config: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """Per variant label: every trial-config key as a Tune domain or a fixed value."""
    spaces = {}
    for variant in config.variants:
        space = {name: to_tune(value) for name, value in resolve_params(variant, config).items()}
        space.update(kind=variant.kind, epochs=variant_epochs(variant, config))
        spaces[variant.label] = space
    return spaces


def variant_domains(config: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """Per variant label: the hyperparameters it searches, as config domains (for `tpe`)."""
    return {v.label: {n: d for n, d in resolve_params(v, config).items() if isinstance(d, (LogUniform, Uniform, Choice))}
            for v in config.variants}


def variant_fixed(config: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """Per variant label: every trial-config key it does not search (kind and epochs included)."""
    return {label: {k: v for k, v in space.items() if not isinstance(v, tune.search.sample.Domain)}
            for label, space in variant_spaces(config).items()}


def _draw(key: str, spaces: dict, rng: np.random.Generator, config: dict) -> Any:
    value = spaces[config["variant"]][key]
    if isinstance(value, tune.search.sample.Domain):
        drawn = value.sample(random_state=rng)
        return drawn.item() if isinstance(drawn, np.generic) else drawn
    return value


def _draw_seed(rng: np.random.Generator, config: dict) -> int:
    return int(rng.integers(0, 2**31 - 1))


def param_space(config: ExperimentConfig) -> dict[str, Any]:
    spaces = variant_spaces(config)
    rng = np.random.default_rng(config.seed)
    keys = sorted({k for space in spaces.values() for k in space})
    space: dict[str, Any] = {"variant": tune.grid_search(list(spaces))}
    for key in keys:
        space[key] = tune.sample_from(partial(_draw, key, spaces, rng))
    space["seed"] = tune.sample_from(partial(_draw_seed, rng))
    return space


def search_domains(config: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """JSON-friendly description of what each variant searches, for the manifest and report."""
    out = {}
    for variant in config.variants:
        out[variant.label] = {
            name: (value.model_dump() if hasattr(value, "model_dump") else value)
            for name, value in resolve_params(variant, config).items()
        }
    return out
