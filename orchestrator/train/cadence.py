"""When a trial writes a checkpoint: always at the scheduler's rung epochs (ASHA stops trials only
there, so a stopped trial's last report has its checkpoint) and at the end; in between every
`every` epochs, or, by default ("auto"), whenever the training since the last checkpoint has cost
`OVERHEAD` times what that checkpoint cost to write, so checkpoints never take more than about
1/OVERHEAD of a trial's time, whether a `.keras` save costs more than a small model's epoch or a
big model's epoch takes minutes; and at the latest after `seconds` without one.

A retried trial replays the epochs after its last checkpoint; the (seed, epoch) row order and the
dropout streams in the checkpoint make the replay the same epochs, so the result does not change.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

OVERHEAD = 10  # auto: train at least this many times a checkpoint's cost between two checkpoints


@dataclass
class CheckpointCadence:
    every: int | None = None  # None: auto
    rungs: frozenset[int] = frozenset()
    seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    # What the last checkpoint cost to write; None: none written yet, so auto writes one to learn it
    # (a warm worker hands in what the last trial of the architecture measured).
    cost: float | None = None
    _last: float = 0.0  # when the last checkpoint was written (the start, before the first)

    def __post_init__(self) -> None:
        self._last = self.clock()

    def due(self, epochs_done: int, final: bool) -> bool:
        """Whether the report of the epoch that brought the trial to `epochs_done` carries a checkpoint."""
        since = self.clock() - self._last
        if final or epochs_done in self.rungs or since >= self.seconds:
            return True
        if self.every is not None:
            return epochs_done % self.every == 0
        return self.cost is None or since >= OVERHEAD * self.cost

    @contextmanager
    def saving(self):
        """`with cadence.saving(): write it`: times the checkpoint, for the auto rule."""
        started = self.clock()
        yield
        self._last = self.clock()
        self.cost = self._last - started
