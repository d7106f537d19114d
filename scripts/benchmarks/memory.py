"""Worker memory across trials: GG_BENCH_MEMORY_TRIALS (default 200) trials one after another in
one fresh process, as a reused Tune worker runs them (TensorBoard logs and checkpoints included);
resident memory after the last against after 5. Twice, each in its own process: every trial with
the same architecture (its learning rate, L2, dropout and seed drawn anew), then architectures
cycling over six hidden sizes ("whatever the architectures")."""

from __future__ import annotations

import os

from scripts.benchmarks.common import figure, load_note
from scripts.benchmarks.inprocess import HIDDEN_CYCLE, run_trials, trial_plan

TRIALS = int(os.environ.get("GG_BENCH_MEMORY_TRIALS", "200"))
EPOCHS = 10


def _line(label: str, hidden: list[list[int]], key: str) -> dict:
    print(f"  {label}: {TRIALS} trials of {EPOCHS} epochs, 300 rows", flush=True)
    rss = [t["rss_mb"] for t in run_trials(trial_plan(TRIALS, hidden, epochs=EPOCHS))]
    per_trial = (rss[-1] - rss[4]) / (TRIALS - 5)
    return figure(f"worker RSS after {TRIALS} trials, {label} (MB)", rss[-1], "after 5 trials (MB)", rss[4], key=key,
                  note=f"{per_trial:+.2f} MB per trial after the 5th; {load_note()}")


def run() -> list[dict]:
    if TRIALS < 6:
        raise SystemExit("GG_BENCH_MEMORY_TRIALS must be at least 6 (the reference is the RSS after 5 trials)")
    return [_line("same architecture", [list(HIDDEN_CYCLE[0])], "memory"),
            _line(f"{len(HIDDEN_CYCLE)} architectures in turn", [list(h) for h in HIDDEN_CYCLE], "memory_cycling")]
