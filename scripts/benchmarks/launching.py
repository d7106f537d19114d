"""Run `gg-train launch` as a user would (a subprocess, wall-clocked) on a config written here."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

from scripts.benchmarks.common import ROOT, quiet_env


def one_variant_config(csv: Path, *, kind: str = "baseline", epochs: int, samples: int = 1, batch: int = 32,
                       hidden=(128, 64), split=(0.5, 0.25, 0.25), **extra) -> dict:
    config = {
        "name": "bench", "seed": 1,
        "data": {"source": "csv", "path": str(csv), "label": "label",
                 "split": {"train": split[0], "val": split[1], "test": split[2]}},
        "hparams": {"batch_size": batch, "learning_rate": 0.001},
        "variants": [{"kind": kind, "epochs": epochs, "params": {"hidden": list(hidden)}}],
        "search": {"enabled": False, "samples": samples},
        "scheduler": {"type": "none"},
        "diagnosis": {"learning_curve": False},
        "resources": {"cpus_per_trial": 1},
    }
    for key, value in extra.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    return config


def launch(config: dict, runs: Path, name: str, *args: str) -> tuple[float, Path, str]:
    """(wall seconds, experiment folder, output) of `gg-train launch` on `config`."""
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    command = [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(path), "--name", name,
               "--runs-dir", str(runs), "--gpus", "0", "--overwrite", *args]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=quiet_env(), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"gg-train launch failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, runs / name, proc.stderr
