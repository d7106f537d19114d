"""When a trial reports to Tune (`ReportCadence`) and when its report carries a checkpoint
(`CheckpointCadence`).

A checkpoint: always at the scheduler's rung epochs (ASHA stops trials only
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
from dataclasses import dataclass, field
from typing import Callable

OVERHEAD = 10  # auto: train at least this many times a checkpoint's cost between two checkpoints
# A Tune trial reports at most this often unless an epoch must be seen now (`ReportCadence`).
REPORT_SECONDS = 0.2
EPOCH_ROWS = "epoch_rows"  # a report's rows of every epoch it stands for, its own last (`tuning.epoch_rows`)


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


@dataclass
class ReportCadence:
    """Which epochs' reports go to Tune now, and the rows each carries.

    Tune's report waits for the driver's round trip (2.7 ms measured, as long as the training of a
    300-row epoch), so a trial of millisecond epochs sends one report for the epochs of `seconds`
    (0: every epoch), except when an epoch must be seen at once: one whose report has a checkpoint
    (`CheckpointCadence`: so ASHA's rungs, where it decides on the epoch number a report carries,
    and the last epoch, which early stopping's stop and a divergence make last), the run's first,
    and one a test holds (`phases.hold_trial`). Every row waits for the next report and goes with it
    (`EPOCH_ROWS`): the driver writes one result row per epoch from them. A checkpoint always goes
    with a report, so no row waits across one: a retry from it replays every row still waiting.
    """

    seconds: float = 0.0
    clock: Callable[[], float] = time.monotonic
    _waiting: list[dict] = field(default_factory=list)
    _last: float | None = None  # when the last report went; None: none yet in this run

    def rows(self, row: dict, must: bool) -> list[dict] | None:
        """Take an epoch's row; the rows its report sends now (this one last), or None: they wait."""
        self._waiting.append(row)
        now = self.clock()
        if not must and self._last is not None and now - self._last < self.seconds:
            return None
        rows, self._waiting, self._last = self._waiting, [], now
        return rows
