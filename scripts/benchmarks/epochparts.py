"""Where a trial's epoch goes beyond the bare loop, inside one Tune worker (same process, same
threads, rounds interleaved so the machine's load hits every mode alike): the bare compiled loop,
the bare loop with a `tune.report` per epoch (Tune's round trip alone) and the trial as it runs.
Each figure is the median of the per-epoch wall times (the first, traced epoch left out)."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from scripts.benchmarks.common import ROOT, classification, figure
from scripts.benchmarks.epoch import bare_epoch

EPOCHS, ROUNDS = 60, 4
MODES = ("bare", "bare_report", "trial")


def _trainable(config: dict) -> None:
    """Every mode, ROUNDS times, in this one Tune worker; per-epoch gaps written to config['out']."""
    from ray import tune

    from orchestrator.train import distribute, loop, tune_adapter
    from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec

    distribute.configure_process(1, 0, 1)
    rows, batch = config["rows"], config["batch"]
    x, y = classification(2 * rows, seed=1)
    data = TrialData(x[:rows], y[:rows], x[rows:rows * 3 // 2], y[rows:rows * 3 // 2])
    bare = bare_epoch(data.x_train, data.y_train, data.x_val, data.y_val, batch)

    class Timed(tune_adapter.TuneReporter):
        """Each report's time; never restores (every run of the trial starts fresh in this one Tune trial)."""

        def restore_dir(self):
            return contextlib.nullcontext(None)

        def report(self, metrics, checkpoint_dir):
            super().report(metrics, checkpoint_dir)
            stamps.append(time.perf_counter())

    gaps, tmp = {m: [] for m in MODES}, tempfile.mkdtemp(prefix="gg-bench-parts-")
    for rnd in range(ROUNDS):
        for mode in MODES:
            stamps: list[float] = []
            if mode.startswith("bare"):
                for e in range(EPOCHS):
                    loss = bare(rnd, e)
                    if mode == "bare_report":
                        tune.report({"epoch": e, "val_loss": loss})
                    stamps.append(time.perf_counter())
            else:
                setup = TrialSetup(n_classes=2, mean=data.x_train.mean(0), variance=data.x_train.var(0),
                                   board_root=str(Path(tmp) / f"tb{rnd}"))
                spec = TrialSpec.from_config(dict(variant="v", kind="baseline", learning_rate=0.001, hidden=[128, 64], l2=0.0,
                                                  dropout=0.0, patience=0, batch_size=batch, epochs=EPOCHS, seed=1))
                reporter = Timed()
                loop.run_trial(spec, setup, data, reporter)
            gaps[mode] += [b - a for a, b in zip(stamps[1:], stamps[2:])]  # the first, traced epoch left out
    Path(config["out"]).write_text(json.dumps(gaps), encoding="utf-8")


def _measure(train_rows: int, batch: int) -> dict[str, float]:
    from ray import tune

    with tempfile.TemporaryDirectory(prefix="gg-bench-parts-") as tmp:
        out = Path(tmp) / "gaps.json"
        tuner = tune.Tuner(tune.with_resources(_trainable, {"cpu": 1}),
                           param_space={"rows": train_rows, "batch": batch, "out": str(out)},
                           run_config=tune.RunConfig(storage_path=tmp, name="parts", verbose=0))
        tuner.fit()
        return {mode: statistics.median(g) for mode, g in json.loads(out.read_text()).items()}


def run() -> list[dict]:
    import ray

    from orchestrator.tuning import cluster

    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))  # workers import scripts.*
    cluster.connect(None)
    out = []
    try:
        for train_rows, batch in ((300, 32), (3600, 64)):
            ms = _measure(train_rows, batch)
            label = f"{train_rows} rows, batch {batch}"
            out.append(figure(f"bare loop + tune.report s/epoch ({label})", ms["bare_report"], "bare loop", ms["bare"], "for reference"))
            out.append(figure(f"trial s/epoch ({label})", ms["trial"], "bare loop", ms["bare"], "≤ 2.0"))
    finally:
        ray.shutdown()
    return out
