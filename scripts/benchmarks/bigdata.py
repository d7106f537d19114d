"""A big table: 1,000,000 rows × 50 float columns as CSV. The driver's peak resident memory while
gg-train reads and splits it, against the float32 size of the data (200 MB); and a trial's memory
across epochs on the training split, which stays flat when no epoch copies the data."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from scripts.benchmarks.common import ROOT, figure, quiet_env

ROWS, COLUMNS = 1_000_000, 50

LOAD = textwrap.dedent("""
    import json, sys
    from orchestrator.config import DataConfig
    from orchestrator.data import load_dataset
    from scripts.benchmarks.common import rss_mb

    before = rss_mb()
    dataset = load_dataset(DataConfig(source="csv", path=sys.argv[1], label="label"), 1)
    print(json.dumps({"before": before, "peak": rss_mb(field="VmHWM"), "after": rss_mb(), "train_rows": len(dataset.train)}))
""")

EPOCHS = textwrap.dedent("""
    import contextlib, json, os
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    import numpy as np
    from orchestrator.train.loop import run_trial
    from orchestrator.train.spec import TrialData, TrialSetup, TrialSpec
    from scripts.benchmarks.common import rss_mb

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400_000, 50)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int32)
    seen = []

    class Reporter:
        def restore_dir(self): return contextlib.nullcontext(None)
        def report(self, metrics, checkpoint_dir): seen.append(rss_mb())
        def trial_id(self): return "bench"

    spec = TrialSpec.from_config(dict(variant="v", kind="baseline", learning_rate=0.001, hidden=[64, 32], l2=0.0, dropout=0.0,
                                      patience=0, batch_size=1024, epochs=4, seed=1))
    setup = TrialSetup(n_classes=2, mean=x.mean(0), variance=x.var(0))
    run_trial(spec, setup, TrialData(x[:300_000], y[:300_000], x[300_000:], y[300_000:]), Reporter())
    print(json.dumps({"per_epoch_rss": seen, "train_mb": x[:300_000].nbytes / 2**20}))
""")


def _write_csv(path: Path) -> None:
    """Written in chunks so the writer itself stays small."""
    rng = np.random.default_rng(0)
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join([f"x{i}" for i in range(COLUMNS)] + ["label"]) + "\n")
        for _ in range(ROWS // 100_000):
            x = rng.normal(size=(100_000, COLUMNS)).astype(np.float32)
            y = (x[:, 0] + x[:, 1] > 0).astype(int)
            block = np.column_stack([x, y])
            np.savetxt(out, block, delimiter=",", fmt=["%.6g"] * COLUMNS + ["%d"])


def _child(script: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=quiet_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    data_mb = ROWS * COLUMNS * 4 / 2**20
    with tempfile.TemporaryDirectory(prefix="gg-bench-big-") as tmp:
        csv = Path(tmp) / "big.csv"
        _write_csv(csv)
        print(f"  {csv.stat().st_size / 2**20:.0f} MB of CSV", flush=True)
        load = _child(LOAD, str(csv))
    print(f"  driver: {load['before']:.0f} MB before reading, peak {load['peak']:.0f} MB, {load['after']:.0f} MB after")
    epochs = _child(EPOCHS)
    rss = epochs["per_epoch_rss"]
    print(f"  trial on {epochs['train_mb']:.0f} MB of training rows: RSS after each epoch " + ", ".join(f"{r:.0f}" for r in rss) + " MB")
    return [figure("driver peak RSS reading the CSV (MB)", load["peak"] - load["before"], "float32 data (MB)", data_mb, "≤ 3"),
            figure("trial RSS growth from epoch 1 to 4 (MB)", rss[-1] - rss[0], "training split (MB)", epochs["train_mb"],
                   "≈ 0: no per-epoch copy")]
