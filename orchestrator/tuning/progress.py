"""Live progress on the terminal: one line per finished trial, with the counts and the best so far.

Fed plain dicts by `tuning.run.ProgressCallback`; knows nothing of Ray. The status of a trial comes
from `tuning.outcomes`, the one owner of those rules.
"""

from __future__ import annotations

import math
import threading

from rich.console import Console

from orchestrator.tuning.outcomes import (
    DIVERGED,
    ERRORED,
    LABELS,
    STATUSES,
    trial_status,
)


class Progress:
    def __init__(self, console: Console, total: int, metric: str, mode: str) -> None:
        self.console, self.total, self.metric, self.mode = console, total, metric, mode
        self.counts = {status: 0 for status in STATUSES}
        self.best: tuple[float, str] | None = None
        self.lock = threading.Lock()

    def _better(self, value: float) -> bool:
        if self.best is None:
            return True
        return value < self.best[0] if self.mode == "min" else value > self.best[0]

    def __call__(self, event: str, info: dict) -> None:
        if event == "result":
            return
        with self.lock:
            name, result = info["trial"], info.get("result") or {}
            value = result.get(self.metric)
            status = trial_status(result, errored=event == "error")
            self.counts[status] += 1
            if status not in (ERRORED, DIVERGED) and isinstance(value, (int, float)) and math.isfinite(value) and self._better(value):
                self.best = (float(value), name)
            done = sum(self.counts.values())
            shown = f"{self.metric} {value:.4f}" if isinstance(value, (int, float)) else "no result"
            if status == ERRORED and info.get("log"):  # Tune's traceback stays in the log; its last line here
                shown = f"{info.get('error') or 'no message'}; full log: {info['log']}"
            tally = ", ".join(f"{n} {LABELS[s]}" for s, n in self.counts.items() if n)
            best = f"best so far {self.best[1]} ({self.best[0]:.4f})" if self.best else "no best yet"
            self.console.print(
                f"  [{done}/{self.total}] {name}: {LABELS[status]} after {result.get('epoch', 0)} epochs, {shown}"
                f"  | {info.get('running', 0)} running, {tally} | {best}",
                highlight=False, soft_wrap=True,  # one line, however long: the terminal wraps it, not rich
            )


def announce(config, dataset, plan, exp_dir, console: Console, checks: list[dict], restore: bool) -> None:
    total = len(config.variants) * config.search.samples
    console.print(
        f"gg-train: {'resuming ' if restore else ''}{total} trials ({len(config.variants)} variants × {config.search.samples}), "
        f"{plan.max_concurrent} at a time, "
        + (f"{plan.workers} workers of " if plan.workers > 1 else "")
        + f"{plan.cpus_per_trial:g} CPU + {plan.gpus_per_trial:g} GPU each"
        + (f" ({plan.cpu_replicas} CPU replicas)" if plan.cpu_replicas > 1 else "") + "; "
        f"data {dataset.source}: {len(dataset.train)} train / {len(dataset.val)} val / {len(dataset.test)} test (held out)",
        highlight=False,
    )
    if exp_dir is None:  # launch --dry-run
        console.print("gg-train: dry run: config, data, model, cluster and resources check out; nothing trained, nothing written", highlight=False)
    else:
        console.print(f"gg-train: experiment folder {exp_dir}", highlight=False)
    if config.output.storage:
        console.print(f"gg-train: trials keep checkpoints and TensorBoard logs in {config.output.storage} (every node checked)",
                      highlight=False)
    for check in checks:
        if check["status"] != "ok":
            console.print(f"gg-train: data check {check['name']} ({check['status']}): {check['message']}", highlight=False)
