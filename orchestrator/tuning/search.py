"""Config → Ray Tune `param_space` and scheduler; the only place that builds Tune domains.

The variants and their samples are a grid; each hyperparameter is drawn up front from the
*trial's variant's* domain (variants search different things) with a generator seeded from the
config, so the same config and seed give the same trials, also after a resume.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from ray import tune

from orchestrator.config import Choice, ExperimentConfig, LogUniform, Uniform
from orchestrator.models.variants import resolve_params, variant_epochs

SAMPLE_KEY = "variant_sample"  # which of its variant's `search.samples` trials a Tune trial is (a grid value)


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


def _draw(key: str, spaces: dict, rng: np.random.Generator, variant: str) -> Any:
    value = spaces[variant][key]
    if isinstance(value, tune.search.sample.Domain):
        drawn = value.sample(random_state=rng)
        return drawn.item() if isinstance(drawn, np.generic) else drawn
    return value


def _drawn(draws: dict, key: str, config: dict) -> Any:
    """The value drawn for this trial (a module function: the Tuner pickles it)."""
    return draws[(config[SAMPLE_KEY], config["variant"])][key]


def trial_draws(config: ExperimentConfig) -> dict[tuple[int, str], dict[str, Any]]:
    """(sample, variant) -> that trial's values, drawn in the order Tune creates the trials (each
    sample of the grid in turn, its variants in order; keys sorted, then the seed)."""
    spaces = variant_spaces(config)
    rng = np.random.default_rng(config.seed)
    keys = sorted({k for space in spaces.values() for k in space})
    draws = {}
    for sample in range(config.search.samples):
        for variant in spaces:
            drawn = {key: _draw(key, spaces, rng, variant) for key in keys}
            draws[(sample, variant)] = {**drawn, "seed": int(rng.integers(0, 2**31 - 1))}
    return draws


def param_space(config: ExperimentConfig) -> dict[str, Any]:
    """Every trial's values drawn here, once, and looked up by (sample, variant), both grid values.
    Tune resolves a `sample_from` again for every trial of a restored experiment, in its saved order:
    a stateful draw would hand a resumed trial other hyperparameters than it started with (seen:
    an interrupted trial restored from its checkpoint under another learning rate and seed). The
    grid's fastest dimension is its first key in sorted order: `variant`, then `variant_sample`."""
    draws = trial_draws(config)
    keys = next(iter(draws.values()))
    return {"variant": tune.grid_search(list(variant_spaces(config))),
            SAMPLE_KEY: tune.grid_search(list(range(config.search.samples))),
            **{key: tune.sample_from(partial(_drawn, draws, key)) for key in keys}}


def search_domains(config: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """JSON-friendly description of what each variant searches, for the manifest and report."""
    out = {}
    for variant in config.variants:
        out[variant.label] = {
            name: (value.model_dump() if hasattr(value, "model_dump") else value)
            for name, value in resolve_params(variant, config).items()
        }
    return out
