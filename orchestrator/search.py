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
from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, TrialScheduler

from orchestrator.config import Choice, ExperimentConfig, LogUniform, Uniform
from orchestrator.variants import resolve_params, variant_epochs


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


def max_epochs(config: ExperimentConfig) -> int:
    return max(variant_epochs(v, config) for v in config.variants)


class PerVariantASHA(FIFOScheduler):
    """ASHA inside each variant: one ASHA bracket per variant, so trials compete only with trials
    of the same recipe.

    A single ASHA across variants would compare an unregularized network with a regularized one at
    epoch 5, before either has shown how it generalizes, and would stop most baselines before they
    overfit: the comparison the experiment exists for would never happen. Within a variant, ASHA
    still stops unpromising hyperparameters early.
    """

    def __init__(self, max_t: dict[str, int], grace_period: int, reduction_factor: float) -> None:
        super().__init__()
        self._max_t, self._grace, self._rf = dict(max_t), grace_period, reduction_factor
        self._mode: str | None = None
        self._by_variant: dict[str, ASHAScheduler] = {}

    def set_search_properties(self, metric, mode, **spec) -> bool:
        self._metric, self._mode = metric or self._metric, mode or self._mode
        return True

    def _asha(self, trial) -> ASHAScheduler:
        variant = trial.config["variant"]
        if variant not in self._by_variant:
            max_t = self._max_t[variant]
            self._by_variant[variant] = ASHAScheduler(
                time_attr="epoch", metric=self._metric, mode=self._mode, max_t=max_t,
                grace_period=min(self._grace, max_t), reduction_factor=self._rf,
            )
        return self._by_variant[variant]

    def on_trial_add(self, tune_controller, trial) -> None:
        self._asha(trial).on_trial_add(tune_controller, trial)

    def on_trial_error(self, tune_controller, trial) -> None:
        self._asha(trial).on_trial_error(tune_controller, trial)

    def on_trial_result(self, tune_controller, trial, result: dict) -> str:
        return self._asha(trial).on_trial_result(tune_controller, trial, result)

    def on_trial_complete(self, tune_controller, trial, result: dict) -> None:
        self._asha(trial).on_trial_complete(tune_controller, trial, result)

    def on_trial_remove(self, tune_controller, trial) -> None:
        self._asha(trial).on_trial_remove(tune_controller, trial)

    def debug_string(self) -> str:
        return "PerVariantASHA: " + ", ".join(f"{v}: {a._num_stopped} stopped" for v, a in self._by_variant.items())


def scheduler(config: ExperimentConfig) -> TrialScheduler:
    """ASHA on epochs within each variant (grace period, reduction factor from the config), or FIFO."""
    if config.scheduler.type == "none":
        return FIFOScheduler()
    return PerVariantASHA(
        max_t={v.label: variant_epochs(v, config) for v in config.variants},
        grace_period=config.scheduler.grace_period,
        reduction_factor=config.scheduler.reduction_factor,
    )


def search_domains(config: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """JSON-friendly description of what each variant searches, for the manifest and report."""
    out = {}
    for variant in config.variants:
        out[variant.label] = {
            name: (value.model_dump() if hasattr(value, "model_dump") else value)
            for name, value in resolve_params(variant, config).items()
        }
    return out
