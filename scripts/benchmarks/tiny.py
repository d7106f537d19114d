"""Many tiny trials through `gg-train launch` (GG_BENCH_TINY_TRIALS, default 500; 1 epoch each, Dense
16 on 200 training rows, two at a time on two cores): the wall time per trial, from the first
trial's start to the last trial's report, beside the compute the trials report per trial
(Σ trial time / concurrent slots / trials). The difference is Tune's hand-over between trials in a
reused worker; the reported trial time itself is mostly the trace of a new model's steps.
Tune's report timestamps are whole seconds: ±1 s on the wall, nothing at 500 trials."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from scripts.benchmarks.common import classification, figure, load_note, trial_results, write_csv
from scripts.benchmarks.launching import launch, one_variant_config

TRIALS = int(os.environ.get("GG_BENCH_TINY_TRIALS", 500))
SLOTS = 2  # cpus_per_trial 1 on two cores


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="gg-bench-tiny-") as tmp:
        x, y = classification(400, seed=5)
        csv = write_csv(Path(tmp) / "rows.csv", x, y)
        config = one_variant_config(csv, epochs=1, samples=TRIALS, hidden=(16,))
        config["search"] = {"enabled": True, "samples": TRIALS}
        config["output"] = {"tensorboard": False}
        wall, exp_dir, _ = launch(config, Path(tmp) / "runs", "tiny")
        trials = trial_results(exp_dir / "tune")
        start = min(r[0]["timestamp"] - r[0]["time_total_s"] for r in trials)
        end = max(r[-1]["timestamp"] for r in trials)
        compute = sum(r[-1]["time_total_s"] for r in trials)
        print(f"  {len(trials)} trials; launch end to end {wall:.0f} s; trials from first start to last report {end - start:.0f} s")
        n = len(trials)
        return [figure(f"{n} one-epoch trials, wall per trial (s)", (end - start) / n, "Σ trial time / slots / trials (s)",
                       compute / SLOTS / n, key="tiny", note=f"launch end to end {wall:.0f} s; {load_note()}")]
