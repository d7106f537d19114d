"""Early stopping with best weights, as Keras' `EarlyStopping(restore_best_weights=True)` decides it,
as plain state the trial's checkpoint carries, so a trial restarted at epoch k stops where an
uninterrupted one does and hands over the same best weights.

Keras' rule, kept exactly: the first epoch is always an improvement (even a NaN one, after which
nothing compares lower); later an epoch improves when its monitored value is below the best; after
`patience` epochs without one (and not in the first epoch) the trial stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class EarlyStopping:
    patience: int
    best: float | None = None  # None until the first epoch, as in Keras
    wait: int = 0
    best_epoch: int = 0  # 0-based, like Keras
    best_weights: list[np.ndarray] | None = None
    stopped: bool = False

    @classmethod
    def resumed(cls, patience: int, saved: dict, best_weights: list[np.ndarray] | None) -> "EarlyStopping":
        """From a checkpoint's `state.early_stopping` (empty for a fresh trial) and its best weights."""
        if not saved:
            return cls(patience)
        best = None if saved["best"] is None else float(saved["best"])
        return cls(patience, best=best, wait=int(saved["wait"]), best_epoch=int(saved["best_epoch"]), best_weights=best_weights)

    def saved(self) -> dict:
        return {"best": self.best, "wait": self.wait, "best_epoch": self.best_epoch}

    def update(self, value: float, epoch: int, weights: Callable[[], list[np.ndarray]]) -> bool:
        """Take epoch `epoch`'s monitored value; True when training should stop after it."""
        if self.best_weights is None:
            self.best_weights, self.best_epoch = weights(), epoch
        self.wait += 1
        if self.best is None or value < self.best:
            self.best, self.best_epoch, self.best_weights, self.wait = float(value), epoch, weights(), 0
            return False
        if self.wait >= self.patience and epoch > 0:
            self.stopped = True
        return self.stopped
