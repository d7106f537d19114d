"""Selection on validation data only: the best trial per variant, then the best variant.

Selection reads nothing but each trial's last reported validation metric (`scope="last"`: the model
the trial really ended with; for early-stopping variants that is the restored best epoch). The test
split plays no part here.
"""

from __future__ import annotations

import math

from orchestrator.tuning.outcomes import FINISHED, USABLE, TrialOutcome


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _rank(outcome: TrialOutcome, metric: str, sign: int) -> tuple[bool, float]:
    """Smaller is better: a trial that finished its recipe first, then the better validation metric."""
    return outcome.status not in FINISHED, sign * outcome.metrics[metric]


def select(outcomes: list[TrialOutcome], metric: str, mode: str) -> tuple[dict[str, TrialOutcome], TrialOutcome | None]:
    """Best trial per variant and overall, by the validation `metric`; errored/diverged never win.

    Trials that finished their recipe are preferred over trials ASHA stopped, within a variant and
    across variants: ASHA stopped those for trailing at a rung, and a truncated run must not win
    merely because it never reached the epochs where its recipe overfits. A variant whose every
    trial was stopped is represented by its best stopped trial, and wins overall only when no
    variant has a finished trial.
    """
    sign = 1 if mode == "min" else -1
    per_variant: dict[str, TrialOutcome] = {}
    for outcome in outcomes:
        if outcome.status not in USABLE or outcome.checkpoint is None or not _finite(outcome.metrics.get(metric)):
            continue
        current = per_variant.get(outcome.variant)
        if current is None or _rank(outcome, metric, sign) < _rank(current, metric, sign):
            per_variant[outcome.variant] = outcome
    best = min(per_variant.values(), key=lambda o: _rank(o, metric, sign), default=None)
    return per_variant, best
