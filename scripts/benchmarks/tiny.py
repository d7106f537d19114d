"""Tune's bookkeeping at scale: 500 tiny trials (1 epoch each) through `gg-train launch`; the wall
time of the trials against the compute they report (Σ trial time / concurrent slots)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from scripts.benchmarks.common import classification, figure, trial_results, write_csv
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
        return [figure(f"{TRIALS} one-epoch trials, wall (s)", end - start, "Σ trial time / slots (s)", compute / SLOTS, "≤ 1.3")]
