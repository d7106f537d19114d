"""`gg-train evaluate NAME --data new.csv`: the exported best model on new labelled data, with the
same metrics as the report, and a look at whether the new data resembles the training data (a
model is only as good as the match between the data it learned from and the data it meets).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np

from orchestrator import experiments
from orchestrator.checkpoint import write_json_atomic
from orchestrator.config import DataConfig
from orchestrator.data.sources import read_source
from orchestrator.errors import DataError, ExperimentError

SHIFT_STD = 0.5  # a feature whose mean moved more than half a training standard deviation has shifted
LABEL_SHIFT = 0.10


def _encode(y: np.ndarray, class_names: list[str]) -> np.ndarray:
    index = {name: k for k, name in enumerate(class_names)}
    labels = [str(v.item() if hasattr(v, "item") else v) for v in y]
    unknown = sorted({v for v in labels if v not in index})
    if unknown:
        raise DataError(f"labels {unknown[:5]} were never seen in training (classes: {class_names})", "evaluate on data with the same classes")
    return np.array([index[v] for v in labels], dtype=np.int32)


def _resemblance(x: np.ndarray, y: np.ndarray, mean: np.ndarray, var: np.ndarray, names: list[str], train_share: np.ndarray) -> list[dict]:
    std = np.sqrt(np.maximum(var, 1e-12))
    shift = np.abs(x.mean(axis=0) - mean) / std
    moved = [names[i] for i in np.argsort(-shift) if shift[i] > SHIFT_STD]
    share = np.bincount(y, minlength=len(train_share)) / max(len(y), 1)
    label_diff = float(np.max(np.abs(share - train_share)))
    return [
        {"name": "feature_shift", "status": "warn" if moved else "ok", "numbers": {"shift_in_train_std": dict(zip(names, np.round(shift, 3).tolist()))},
         "message": (f"{len(moved)} feature(s) moved more than {SHIFT_STD} training standard deviations: {', '.join(moved[:8])}"
                     if moved else "feature means are within half a training standard deviation of training")},
        {"name": "label_shift", "status": "warn" if label_diff > LABEL_SHIFT else "ok",
         "numbers": {"new": share.round(4).tolist(), "train": np.round(train_share, 4).tolist(), "max_diff": round(label_diff, 4)},
         "message": f"class proportions differ from training by up to {label_diff:.2f}"},
    ]


def evaluate_new(runs_dir: Path, name: str, data: Path, label: str | None) -> dict:
    from orchestrator.checkpoint import load_model
    from orchestrator.distribute import prepare_driver
    from orchestrator.evaluation import classification_metrics
    from orchestrator.models import predict_proba

    folder = experiments.existing(runs_dir, name)
    try:
        verified = json.loads((folder / experiments.REPORT).read_text(encoding="utf-8")).get("export", {}).get("verified")
    except (OSError, ValueError):
        verified = None
    if not verified or not (folder / "best" / "model.keras").is_file():
        raise ExperimentError(f"experiment '{name}' has no verified exported model", f"finish it first: gg-train resume {name}")
    manifest = experiments.read_manifest(folder)
    described = manifest["data"]
    suffix = data.suffix.lower().lstrip(".")
    if suffix not in ("csv", "npz"):
        raise DataError(f"cannot tell the format of '{data}' from its suffix", "pass a .csv or .npz file")
    if suffix == "csv" and not label:
        from orchestrator.config import load_config

        label = load_config(folder / experiments.CONFIG_FILE).data.label  # the column the model was trained on
        if not label:
            raise DataError("a CSV needs --label COLUMN (the experiment was not trained on a CSV)", "pass --label")
    raw = read_source(DataConfig(source=suffix, path=data, label=label), seed=0)
    names = described["feature_names"]
    if raw.x.shape[1] != len(names) or (suffix == "csv" and set(raw.feature_names) != set(names)):
        raise DataError(f"the new data has features {raw.feature_names[:6]}… but the model was trained on {names[:6]}…",
                        "give the same feature columns as the training data")
    x = raw.x
    if suffix == "csv":
        x = x[:, [raw.feature_names.index(n) for n in names]]
    y = _encode(raw.y, described["class_names"])
    prepare_driver()
    model = load_model(folder / "best", compile=False)
    scaling = model.get_layer("scaling")
    import keras

    # The training split's statistics live in the model's Normalization layer: no training data needed.
    mean, var = (np.asarray(keras.ops.convert_to_numpy(v), dtype=np.float64).reshape(-1) for v in (scaling.mean, scaling.variance))
    counts = np.asarray(described["class_counts"]["train"], dtype=float)
    result = {
        "experiment": name, "data": str(data), "n": int(len(y)), "evaluated": datetime.now().isoformat(timespec="seconds"),
        "metrics": classification_metrics(y, predict_proba(model, x), len(described["class_names"]), int(np.argmax(counts))),
        "checks": _resemblance(x, y, mean, var, names, counts / counts.sum()),
    }
    out = folder / "evaluations"
    out.mkdir(exist_ok=True)
    path = out / f"{Path(data).stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    write_json_atomic(path, result)
    result["path"] = str(path)
    return result
