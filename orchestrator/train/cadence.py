"""When a trial writes a checkpoint: not every epoch (a `.keras` save costs more than a small
model's epoch), but every `every` epochs, at the scheduler's rung epochs (ASHA stops trials only
there, so a stopped trial's last report always has its checkpoint), at the end, and whenever
`seconds` have passed since the last one (an epoch of a big model is never lost for long).

A retried trial replays the epochs after its last checkpoint; the (seed, epoch) row order and the
dropout streams in the checkpoint make the replay the same epochs, so the result does not change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class CheckpointCadence:
    every: int = 5
    rungs: frozenset[int] = frozenset()
    seconds: float = 60.0
    _last: float = field(default_factory=time.monotonic)

    def due(self, epochs_done: int, final: bool) -> bool:
        """Whether the report of the epoch that brought the trial to `epochs_done` carries a checkpoint."""
        now = time.monotonic()
        if final or epochs_done % self.every == 0 or epochs_done in self.rungs or now - self._last >= self.seconds:
            self._last = now
            return True
        return False
