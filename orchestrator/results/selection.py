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


def select(outcomes: list[TrialOutcome], metric: str, mode: str) -> tuple[dict[str, TrialOutcome], TrialOutcome | None]:
    """Best trial per variant and overall, by the validation `metric`; errored/diverged never win.

    Within a variant, trials that finished their recipe are preferred over trials ASHA stopped:
    ASHA stopped those for trailing at a rung, and a truncated run must not win later merely because
    it never reached the epochs where the variant overfits. A variant whose every trial was stopped
    is represented by its best stopped trial.
    """
    sign = 1 if mode == "min" else -1
    per_variant: dict[str, TrialOutcome] = {}
    for outcome in outcomes:
        value = outcome.metrics.get(metric)
        if outcome.status not in USABLE or outcome.checkpoint is None or not _finite(value):
            continue
        current = per_variant.get(outcome.variant)
        rank = (outcome.status not in FINISHED, sign * value)
        if current is None or rank < (current.status not in FINISHED, sign * current.metrics[metric]):
            per_variant[outcome.variant] = outcome
    best = min(per_variant.values(), key=lambda o: sign * o.metrics[metric], default=None)
    return per_variant, best
