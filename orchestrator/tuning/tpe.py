"""`search.algorithm: tpe`: Optuna's TPE through Tune, one study per variant.

Each variant searches its own hyperparameters (its domains from `models.variants`), so each gets
its own `OptunaSearch` with a define-by-run space, and every variant gets exactly `samples`
trials, in turn: a single TPE over all variants would spend the budget on the variant that looks
best early and starve the baseline, whose trials the comparison needs. The per-variant ASHA stops
trials as before; a stopped trial's last result is what its study learns from. Tune saves and
restores this searcher with the experiment, so `resume` continues every study where it stood.
"""

from __future__ import annotations

import pickle
from typing import Any

import cloudpickle
import numpy as np
from ray.tune.search import Searcher
from ray.tune.search.optuna import OptunaSearch

from orchestrator.config import Choice, ExperimentConfig, LogUniform, Uniform
from orchestrator.tuning.search import variant_fixed, variant_domains

STARTUP_TRIALS = 3  # random draws per variant before TPE models the results (Optuna's default is 10)


class DefineByRun:
    """Optuna's define-by-run space for one variant; a choice is drawn by index (Optuna's categories
    must be plain scalars, and hidden sizes are lists)."""

    def __init__(self, domains: dict[str, Any]) -> None:
        self.domains = domains

    def __call__(self, trial) -> None:
        for name, domain in sorted(self.domains.items()):
            if isinstance(domain, LogUniform):
                trial.suggest_float(name, *domain.loguniform, log=True)
            elif isinstance(domain, Uniform):
                trial.suggest_float(name, *domain.uniform)
            elif isinstance(domain, Choice):
                trial.suggest_categorical(name, list(range(len(domain.choice))))


class PerVariantTPE(Searcher):
    """Round-robin over the variants, each drawing from its own Optuna TPE study."""

    def __init__(self, config: ExperimentConfig, metric: str, mode: str) -> None:
        super().__init__(metric=metric, mode=mode)
        from optuna.samplers import TPESampler

        self.samples = config.search.samples
        self.fixed = variant_fixed(config)
        self.domains = variant_domains(config)
        self.studies = {
            label: OptunaSearch(space=DefineByRun(domains), metric=metric, mode=mode,
                                sampler=TPESampler(seed=config.seed + i, n_startup_trials=STARTUP_TRIALS))
            for i, (label, domains) in enumerate(self.domains.items())
        }
        self.given = {label: 0 for label in self.studies}
        self.owner: dict[str, str] = {}  # trial id → variant
        self.rng = np.random.default_rng(config.seed)

    def suggest(self, trial_id: str) -> dict | None:
        waiting = [label for label in self.studies if self.given[label] < self.samples]
        if not waiting:
            return Searcher.FINISHED
        label = min(waiting, key=lambda v: (self.given[v], list(self.studies).index(v)))
        drawn = self.studies[label].suggest(trial_id) or {}
        self.given[label] += 1
        self.owner[trial_id] = label
        values = {name: (self.domains[label][name].choice[index] if isinstance(self.domains[label][name], Choice) else index)
                  for name, index in drawn.items()}
        return {**self.fixed[label], **values, "variant": label, "seed": int(self.rng.integers(0, 2**31 - 1))}

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        if trial_id in self.owner:
            self.studies[self.owner[trial_id]].on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        """A trial that ASHA stopped at a rung (or that diverged) reaches its study without its
        metric, so Optuna records it as pruned: an epoch-5 loss must not compete with the losses of
        trials that ran their recipe to the end."""
        if trial_id not in self.owner:
            return
        if result and (not result.get("final") or result.get("diverged")):
            result = {k: v for k, v in result.items() if k != self.metric}
        self.studies[self.owner[trial_id]].on_trial_complete(trial_id, result, error)

    def save(self, checkpoint_path: str) -> None:
        """Tune's searcher state (the studies), written into this tool's own experiment folder and
        read back only from there, under the same folder checks as tuner.pkl (`experiments`)."""
        with open(checkpoint_path, "wb") as out:
            cloudpickle.dump(self.__dict__, out)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as saved:
            self.__dict__.update(pickle.load(saved))  # noqa: S301  (our own experiment state, like tuner.pkl)
