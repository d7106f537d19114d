"""The exported best model: `best/model.keras`, the chosen checkpoint's model, with its metrics."""

from __future__ import annotations

import shutil
from pathlib import Path

from orchestrator.checkpoint import MODEL_FILE, write_json_atomic


def export_best(exp_dir: Path, checkpoint_dir: str, metrics: dict) -> Path:
    best = exp_dir / "best"
    best.mkdir(exist_ok=True)
    target = best / MODEL_FILE
    shutil.copy2(Path(checkpoint_dir) / MODEL_FILE, target)
    write_json_atomic(best / "metrics.json", metrics)
    return target
