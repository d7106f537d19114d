"""A trial's first epoch once its worker has trained a trial already (Tune's `reuse_actors`): the
time from the trial's start to its first report, against the same for the first trial in a fresh
worker, which pays the TensorFlow import and Ray's actor start."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from scripts.benchmarks.common import classification, figure, trial_results, write_csv
from scripts.benchmarks.launching import launch, one_variant_config


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="gg-bench-reuse-") as tmp:
        x, y = classification(600, seed=2)
        csv = write_csv(Path(tmp) / "rows.csv", x, y)
        # Two CPUs per trial on two cores: one trial at a time, so every trial after the first reuses its worker.
        config = one_variant_config(csv, kind="dropout", epochs=3, samples=6, resources={"cpus_per_trial": 2})
        config["search"] = {"enabled": True, "samples": 6}
        _, exp_dir, _ = launch(config, Path(tmp) / "runs", "reuse")
        trials = sorted(trial_results(exp_dir / "tune"), key=lambda r: r[0]["timestamp"] - r[0]["time_total_s"])
        seen, fresh, reused = set(), [], []
        for reports in trials:
            first = reports[0]
            (reused if first["pid"] in seen else fresh).append(first["time_total_s"])
            seen.add(first["pid"])
        print(f"  {len(trials)} trials in {len(seen)} worker process(es); first report after (s): "
              + ", ".join(f"{r[0]['time_total_s']:.2f}" for r in trials))
        return [figure("first epoch of a trial in a reused worker (median s)", statistics.median(reused),
                       "first epoch in a fresh worker (s)", statistics.median(fresh), "≤ 1 s")]
