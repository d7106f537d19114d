"""`gg-train evaluate NAME --data new.csv`: the exported best model on new labelled data, with the
same metrics as the report, and a look at whether the new data resembles the training data (a
model is only as good as the match between the data it learned from and the data it meets).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from orchestrator.driver import logfile

from orchestrator.folder import experiments
from orchestrator.config import DataConfig
from orchestrator.data.labels import label_key
from orchestrator.data.reading import read_source
from orchestrator.errors import DataError, ExperimentError
from orchestrator.folder.files import write_json_atomic
from orchestrator.train.checkpoint import MODEL_FILE


def _encode(y: np.ndarray, class_names: list[str]) -> np.ndarray:
    """New labels as the model's class indices; `1.0` finds the class the model learned as `1`."""
    index = {label_key(name): k for k, name in enumerate(class_names)}
    if len(index) < len(class_names):  # two class names with one key ('1' and '1.0'): match exactly
        index = {name: k for k, name in enumerate(class_names)}
        keys = [str(v.item() if hasattr(v, "item") else v) for v in y]
    else:
        keys = [label_key(v) for v in y]
    unknown = sorted({v for v in keys if v not in index})
    if unknown:
        raise DataError(f"labels {unknown[:5]} were never seen in training (classes: {class_names})", "evaluate on data with the same classes")
    return np.array([index[v] for v in keys], dtype=np.int32)


def _threshold(best: Path) -> dict | None:
    """The decision threshold exported with the model (`best/metrics.json`), if the task had one."""
    import json

    try:
        found = json.loads((best / "metrics.json").read_text(encoding="utf-8")).get("threshold")
    except (OSError, ValueError, AttributeError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("value"), (int, float)) else None


def verified_export(folder: Path, name: str) -> Path:
    """best/ of an experiment whose export passed the fresh-process proof, else one line."""
    verified = ((experiments.read_report_json(folder) or {}).get("export") or {}).get("verified")
    best = folder / experiments.BEST_DIR
    if not verified or not (best / MODEL_FILE).is_file():
        raise ExperimentError(f"experiment '{name}' has no verified exported model", f"finish it first: gg-train resume {name}")
    return best


def _source_of(data: Path) -> str:
    """'images' for a folder, else the format its suffix names."""
    if data.is_dir():
        return "images"
    suffix = data.suffix.lower().lstrip(".")
    if suffix not in ("csv", "parquet", "npz"):
        raise DataError(f"cannot tell the format of '{data}' from its suffix", "pass a .csv, .parquet or .npz file, or an image folder")
    return suffix


def _label_for(trained: DataConfig, source: str, label: str | None) -> str | None:
    if source not in ("csv", "parquet") or label:
        return label
    label = trained.label  # the column the model was trained on
    if not label:
        raise DataError(f"a {source} file needs --label COLUMN (the experiment was not trained on a table)", "pass --label")
    return label


def _read_new(folder: Path, data: Path, label: str | None, described: dict):
    """(the exported model's inputs, features for the shift check, raw labels): raw named columns
    for a table trained with text or empty cells, pixels for images, else the feature matrix in
    training column order."""
    from orchestrator.data.sources import read_table

    from orchestrator.config import load_config

    source = _source_of(data)
    trained = load_config(folder / experiments.CONFIG_FILE).data  # images resized and kept as in training
    cfg = DataConfig(source=source, path=data, label=_label_for(trained, source, label), image_size=trained.image_size,
                     image_memory_mb=trained.image_memory_mb)
    encoding, names = described.get("encoding"), described["feature_names"]
    if encoding is not None:
        if source not in ("csv", "parquet"):
            raise DataError(f"the model was trained on a table; '{data}' is not one", "pass a .csv or .parquet file")
        from orchestrator.data.table import encode, raw_inputs

        text = tuple(c["name"] for c in encoding["columns"] if c["kind"] == "categorical")
        raw = read_table(cfg, keep_frame=True, text_columns=text)  # '007' stays '007', as the vocabulary has it
        inputs = raw_inputs(raw.frame, encoding)  # a column the model needs that is missing: one line
        return inputs, encode(encoding, inputs), raw.y
    if source in ("csv", "parquet"):
        if described.get("kind") == "images":
            raise DataError(f"the model was trained on images; '{data}' is a table", "pass an image folder or an .npz of images")
        raw = read_table(cfg, keep_frame=True)
        x = complete_numbers(raw.frame, names, data)
        return x, x, raw.y
    raw = read_source(cfg, seed=0)
    if described.get("kind") == "images":
        if raw.x.ndim != 4 or list(raw.x.shape[1:]) != list(described["input_shape"]):
            raise DataError(f"the new images are {list(raw.x.shape[1:])} but the model was trained on {described['input_shape']}",
                            "give images of the training size (an image folder is resized with data.image_size)")
        return raw.x, raw.x, raw.y
    if raw.x.ndim != 2 or raw.x.shape[1] != len(names):
        raise DataError(f"the new data has features {raw.feature_names[:6]}… but the model was trained on {names[:6]}…",
                        "give the same feature columns as the training data")
    return raw.x, raw.x, raw.y


def complete_numbers(frame, names: list[str], data: Path) -> np.ndarray:
    """The columns a model without an encoder was trained on, in training order, as float32; other
    columns are ignored, as they are for an encoded table. Such a model was trained on complete
    numbers and holds no rule for an empty cell or text (no fill value, no vocabulary), so one is
    refused by column and data row (counted from 1 under the header) rather than filled with a
    guess that a server of best/ would not make: evaluate scores what the exported model serves."""
    import pandas as pd

    from orchestrator.data.magnitude import check_magnitude

    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(f"{data} lacks column(s) {missing[:6]} that the model was trained on",
                        "give the same feature columns as the training data (extra columns are ignored)")
    x = np.empty((len(frame), len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        cells = frame[name]
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            row, cell = int(np.argmax(bad)), cells.iloc[int(np.argmax(bad))]
            what = "is empty" if pd.isna(cell) or not str(cell).strip() else f"holds {cell!r}"
            raise DataError(f"column {name!r} {what} in data row {row + 1} ({int(bad.sum())} cell(s) of that column empty "
                            f"or not a finite number): the model was trained on complete numbers",
                            "fill or drop those rows; or launch again on data with such cells, and gg-train learns a "
                            "fill and a missing indicator inside the model")
        x[:, j] = values
    check_magnitude(x, names, str(data))
    return x


def _scaling_statistics(model) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The training split's mean and variance from the model's `scaling` layer, nested models
    included; (None, None) when it has none (images, a saved model with its own preprocessing)."""
    import keras

    stack = [model]
    while stack:
        layer = stack.pop()
        if layer.name == "scaling" and isinstance(layer, keras.layers.Normalization):
            return tuple(np.asarray(keras.ops.convert_to_numpy(v), dtype=np.float64).reshape(-1) for v in (layer.mean, layer.variance))
        stack.extend(getattr(layer, "layers", []))
    return None, None


def evaluate_new_data(runs_dir: Path, name: str, data: Path, label: str | None) -> dict:
    """Score `data` with the experiment's verified export; write and return the result."""
    from orchestrator.data.checks import check_new_data
    from orchestrator.models.outputs import predict_proba
    from orchestrator.results.metrics import classification_metrics
    from orchestrator.train.checkpoint import load_model
    from orchestrator.train.distribute import prepare_driver

    folder = experiments.existing(runs_dir, name)
    logfile.attach(folder, "evaluate.log")  # under `gg-train evaluate`: TensorFlow's lines go there
    best = verified_export(folder, name)
    described = experiments.read_manifest(folder)["data"]
    names = described["feature_names"]
    prepare_driver()
    inputs, x, raw_y = _read_new(folder, data, label, described)
    y = _encode(raw_y, described["class_names"])
    model = load_model(best, compile=False)
    # The training split's statistics live in the model's Normalization layer: no training data needed.
    mean, var = _scaling_statistics(model)
    counts = np.asarray(described["class_counts"]["train"], dtype=float)
    proba = predict_proba(model, inputs)
    result = {
        "experiment": name, "data": str(data), "n": int(len(y)), "evaluated": datetime.now().isoformat(timespec="seconds"),
        "class_names": list(described["class_names"]),
        "metrics": classification_metrics(y, proba, len(described["class_names"]), counts),
        "checks": check_new_data(x, y, mean, var, names, counts / counts.sum()),
    }
    threshold = _threshold(best)
    if threshold is not None and proba.shape[1] == 2:  # the cut-off tuned on validation, carried in best/metrics.json
        from orchestrator.results.threshold import metrics_at

        k = int(threshold["class"])
        result["at_threshold"] = {"class": k, "value": threshold["value"], "exported": threshold.get("exported", "tuned"),
                                  **metrics_at(y, proba[:, k], k, float(threshold["value"]))}
    out = folder / "evaluations"
    out.mkdir(exist_ok=True)
    path = out / f"{Path(data).stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    write_json_atomic(path, result)
    result["path"] = str(path)
    return result


def summary_lines(name: str, data: Path, result: dict) -> list[str]:
    """What `gg-train evaluate` prints: the scores, the tuned threshold's, the checks, where it is saved."""
    m, names = result["metrics"], result.get("class_names") or []
    whose = f" of '{names[m['positive_class']]}'" if "positive_class" in m and m["positive_class"] < len(names) else ""
    lines = [f"{name} on {data} ({result['n']} rows): accuracy {m['accuracy']:.3f}, precision{whose} {m['precision']:.3f}, "
             f"recall {m['recall']:.3f}, F1 {m['f1']:.3f}, loss {m['loss']:.3f}"
             + (f", majority-class baseline {m['majority_accuracy']:.3f}" if "majority_accuracy" in m else "")]
    if "at_threshold" in result and result["at_threshold"].get("exported", "tuned") == "tuned":
        t = result["at_threshold"]
        label = names[t["class"]] if t["class"] < len(names) else f"class {t['class']}"
        lines.append(f"  at the threshold exported with the model ({t['value']:.3f} for '{label}', tuned on validation): "
                     f"F1 {t['f1']:.3f}, precision {t['precision']:.3f}, recall {t['recall']:.3f}")
    lines += [f"  {check['status']:4s} {check['name']}: {check['message']}" for check in result["checks"]]
    return lines + [f"saved: {result['path']}"]
