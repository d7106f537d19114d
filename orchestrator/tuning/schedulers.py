"""The schedulers: ASHA inside each variant, or none (every trial runs its recipe to the end)."""

from __future__ import annotations

import math

from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, TrialScheduler

from orchestrator.config import ExperimentConfig
from orchestrator.models.variants import variant_epochs


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


def rung_epochs(config: ExperimentConfig) -> tuple[int, ...]:
    """The epochs at which ASHA may stop a trial (its milestones, as Ray's bracket computes them:
    grace × rf^k up to each variant's max_t): a trial checkpoints there, so the model a stopped
    trial last reported is on disk."""
    if config.scheduler.type == "none":
        return ()
    rf, rungs = config.scheduler.reduction_factor, set()
    for variant in config.variants:
        max_t = variant_epochs(variant, config)
        grace = min(config.scheduler.grace_period, max_t)
        for k in range(int(math.log(max_t / grace) / math.log(rf) + 1)):
            rungs.add(math.ceil(grace * rf**k))
    return tuple(sorted(rungs))


def scheduler(config: ExperimentConfig) -> TrialScheduler:
    """ASHA on epochs within each variant (grace period, reduction factor from the config), or FIFO."""
    if config.scheduler.type == "none":
        return FIFOScheduler()
    return PerVariantASHA(
        max_t={v.label: variant_epochs(v, config) for v in config.variants},
        grace_period=config.scheduler.grace_period,
        reduction_factor=config.scheduler.reduction_factor,
    )
