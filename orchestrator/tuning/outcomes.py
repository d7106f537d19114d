"""What a finished trial looks like outside Ray, and the one set of rules for its status.

A trial ends in exactly one of these states:
- `completed`: it trained every epoch of its recipe;
- `early_stopped`: early stopping ended it (patience ran out) and put its best weights back;
- `stopped_by_asha`: the ASHA scheduler cut it short for trailing at a rung;
- `diverged`: its loss became NaN or infinite;
- `errored`: its process raised or died (after Tune's retries).
Plain data, no Ray: the evaluation, the progress lines and the report all read these.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPLETED, EARLY_STOPPED, STOPPED_BY_ASHA, DIVERGED, ERRORED = (
    "completed", "early_stopped", "stopped_by_asha", "diverged", "errored")
STATUSES = (COMPLETED, EARLY_STOPPED, STOPPED_BY_ASHA, DIVERGED, ERRORED)
# Trials that ran their recipe to its end; selection prefers them over trials ASHA cut short.
FINISHED = (COMPLETED, EARLY_STOPPED)
# Trials whose last checkpoint is a usable model: errored and diverged ones never win.
USABLE = (*FINISHED, STOPPED_BY_ASHA)
LABELS = {COMPLETED: "completed", EARLY_STOPPED: "early stopped", STOPPED_BY_ASHA: "stopped by ASHA",
          DIVERGED: "diverged", ERRORED: "errored"}


def trial_status(last_result: dict, errored: bool) -> str:
    """The status of a trial from its last reported metrics (the keys `train.loop` reports)."""
    if errored:
        return ERRORED
    if last_result.get("diverged"):
        return DIVERGED
    if last_result.get("early_stopped"):
        return EARLY_STOPPED
    if not last_result.get("final"):
        return STOPPED_BY_ASHA
    return COMPLETED


@dataclass
class TrialOutcome:
    """One trial as the evaluation sees it: no Ray objects."""

    trial_id: str
    variant: str
    kind: str
    hparams: dict
    metrics: dict
    max_epochs: int
    status: str  # one of STATUSES
    checkpoint: str | None = None
    error: str | None = None

    @property
    def epochs(self) -> int:
        return int(self.metrics.get("epoch", 0))


class Interrupted(KeyboardInterrupt):
    """The experiment stopped before every trial ended (Ctrl-C); `gg-train resume` continues it."""

    def __init__(self, exp_dir=None) -> None:
        super().__init__(str(exp_dir or ""))
        self.exp_dir = exp_dir
