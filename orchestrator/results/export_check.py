"""Fresh-process check of the exported artifacts: `python -m orchestrator.results.export_check`.

Run by `export.verify_export` as a new interpreter, so nothing from the exporting process (custom
objects, a live model, preprocessing code in memory) can make the check pass: only the files count.
It loads `best/model.keras` in Keras' safe mode and `best/saved_model` through its `serving_default`
signature, predicts on the given rows and writes the max absolute difference per artifact as JSON.
A failure to load is reported per artifact, not as a traceback, so the parent can name it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from orchestrator.models.outputs import class_probabilities
from orchestrator.train.checkpoint import MODEL_FILE

SAVED_MODEL_DIR = "saved_model"  # the servable SavedModel beside model.keras in best/

BATCH = 4096


def _rows(x) -> int:
    return len(next(iter(x.values()))) if isinstance(x, dict) else len(x)


def _batch(x, start: int):
    """Rows [start, start + BATCH) as tensors: one array, or a dict of named columns."""
    import tensorflow as tf

    if isinstance(x, dict):
        return {k: tf.constant(v[start:start + BATCH]) for k, v in x.items()}
    return tf.constant(x[start:start + BATCH])


def keras_outputs(best: Path, x) -> np.ndarray:
    """The .keras file in safe mode, called in inference mode on the raw inputs."""
    import keras

    model = keras.models.load_model(best / MODEL_FILE, compile=False, safe_mode=True)
    return np.concatenate([np.asarray(model(_batch(x, s), training=False)) for s in range(0, _rows(x), BATCH)])


def saved_model_outputs(best: Path, x) -> np.ndarray:
    """Call the serving signature as a server would: its named inputs, one output."""
    import tensorflow as tf

    serve = tf.saved_model.load(str(best / SAVED_MODEL_DIR)).signatures["serving_default"]
    names = list(serve.structured_input_signature[1].keys())
    parts = []
    for start in range(0, _rows(x), BATCH):
        batch = _batch(x, start)
        feed = {k: batch[k] for k in names} if isinstance(batch, dict) else {names[0]: batch}
        (out,) = serve(**feed).values()
        parts.append(out.numpy())
    return np.concatenate(parts)


def read_inputs(data) -> object:
    """The check file's inputs: `x`, or the named columns stored as `x:<name>`."""
    if "x" in data.files:
        return data["x"].astype(np.float32)
    return {k[2:]: data[k] for k in data.files if k.startswith("x:")}


def max_abs_diff(raw: np.ndarray, expected: np.ndarray) -> float:
    """Compare as class probabilities (`models.outputs`), so a sigmoid column and its widened
    [1 − p, p] form compare equal."""
    raw, expected = class_probabilities(raw), class_probabilities(expected)
    if raw.shape != expected.shape:
        raise ValueError(f"output shape {raw.shape} does not match the expected {expected.shape}")
    return float(np.max(np.abs(raw - expected)))


def check(best: Path, x, expected: np.ndarray) -> dict:
    result: dict = {"max_abs_diff": {}, "errors": {}, "n": _rows(x)}
    for name, outputs in ((MODEL_FILE, keras_outputs), (SAVED_MODEL_DIR, saved_model_outputs)):
        try:
            result["max_abs_diff"][name] = max_abs_diff(outputs(best, x), expected)
        except Exception as exc:  # any load or call failure is this artifact's verdict, not a crash
            result["max_abs_diff"][name] = None
            first = (str(exc).strip().splitlines() or [""])[0]
            result["errors"][name] = f"{type(exc).__name__}: {first[:300]}"
    return result


def _job(args) -> tuple[Path, Path, Path]:
    """(best, data, out): from the flags, or, with --wait, from one JSON line the parent sends once
    the export exists (the process started early so its imports overlap the trials; it never saw a
    model before that line)."""
    if not args.wait:
        return args.best, args.data, args.out
    line = sys.stdin.readline()
    if not line.strip():
        raise SystemExit(0)  # the parent closed without a job: nothing to check
    job = json.loads(line)
    return Path(job["best"]), Path(job["data"]), Path(job["out"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--best", type=Path, help="the experiment's best/ folder")
    parser.add_argument("--data", type=Path, help=".npz with x (float32) and expected")
    parser.add_argument("--out", type=Path, help="where to write the JSON result")
    parser.add_argument("--wait", action="store_true", help="import first, then read {best, data, out} as JSON from stdin")
    args = parser.parse_args(argv)
    if not args.wait and None in (args.best, args.data, args.out):
        parser.error("--best, --data and --out are required without --wait")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from orchestrator.train.distribute import prepare_driver

    prepare_driver()
    import keras  # noqa: F401  (imported before the job arrives: that is the point of --wait)

    best, data_path, out = _job(args)
    with np.load(data_path, allow_pickle=False) as data:
        x, expected = read_inputs(data), data["expected"].astype(np.float64)
    result = check(best, x, expected)
    text = json.dumps(result)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
