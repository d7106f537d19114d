"""Live progress on the terminal: one line per finished trial, with the counts and the best so far.

Fed plain dicts by `tuning.ProgressCallback`; knows nothing of Ray.
"""

from __future__ import annotations

import math
import threading

from rich.console import Console


class Progress:
    def __init__(self, console: Console, total: int, metric: str, mode: str) -> None:
        self.console, self.total, self.metric, self.mode = console, total, metric, mode
        self.counts = {"completed": 0, "stopped by ASHA": 0, "early stopping": 0, "diverged": 0, "errored": 0}
        self.best: tuple[float, str] | None = None
        self.lock = threading.Lock()

    def _better(self, value: float) -> bool:
        if self.best is None:
            return True
        return value < self.best[0] if self.mode == "min" else value > self.best[0]

    def __call__(self, event: str, info: dict) -> None:
        with self.lock:
            name, result = info["trial"], info.get("result") or {}
            if event == "result":
                return
            value = result.get(self.metric)
            if event == "error":
                outcome = "errored"
            elif result.get("diverged"):
                outcome = "diverged"
            elif result.get("early_stopped"):
                outcome = "early stopping"
            elif not result.get("final"):
                outcome = "stopped by ASHA"
            else:
                outcome = "completed"
            self.counts[outcome] += 1
            if outcome not in ("errored", "diverged") and isinstance(value, (int, float)) and math.isfinite(value) and self._better(value):
                self.best = (float(value), name)
            done = sum(self.counts.values())
            shown = f"{self.metric} {value:.4f}" if isinstance(value, (int, float)) else "no result"
            tally = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
            best = f"best so far {self.best[1]} ({self.best[0]:.4f})" if self.best else "no best yet"
            self.console.print(
                f"  [{done}/{self.total}] {name}: {outcome} after {result.get('epoch', 0)} epochs, {shown}"
                f"  | {info.get('running', 0)} running, {tally} | {best}",
                highlight=False,
            )
