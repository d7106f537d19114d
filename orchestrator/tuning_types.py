"""What a finished trial looks like outside Ray: plain data for evaluation and reporting."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrialOutcome:
    """One trial as the evaluation sees it: no Ray objects."""

    trial_id: str
    variant: str
    kind: str
    hparams: dict
    metrics: dict
    max_epochs: int
    status: str  # completed | stopped_early (ASHA) | early_stopping | diverged | errored
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
