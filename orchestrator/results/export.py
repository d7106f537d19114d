"""The exported best model, in two forms, and a proof that both serve what was evaluated.

`best/model.keras` is the chosen checkpoint's model (loaded later in Keras' safe mode) and
`best/saved_model/` is the same model as a TensorFlow SavedModel whose `serving_default` signature
takes what the data holds: raw float32 features (None, n_features) for a numeric table, one named
input per column (float32 with NaN for empty cells, or string) for a table with text or empty
cells, whose encoder (`data.table`) is put in front of the trained model here, or raw pixels
(None, H, W, C) for images. Scaling and encoding travel inside, so a server needs no
preprocessing code. `verify_export` reloads both in a *fresh* Python process, because a check in
the exporting process could pass on state that the files do not carry.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from orchestrator.driver import logfile
from orchestrator.errors import ExportError
from orchestrator.folder.experiments import BEST_DIR
from orchestrator.folder.files import write_json_atomic
from orchestrator.names import TRAINED_MODEL_NAME
from orchestrator.results.export_check import SAVED_MODEL_DIR
from orchestrator.train.checkpoint import MODEL_FILE

ARTIFACTS = (MODEL_FILE, SAVED_MODEL_DIR)
CHECK_TIMEOUT_S = 600
INPUTS_FILE = "inputs.json"  # best/inputs.json: what the exported model takes
PROOF_IMAGES = 4096  # test images the proof decodes when the folder is too large to hold
_HINT = ("the served model must take raw features and hold its preprocessing (the Normalization layer); "
         "re-export from the checkpoint and compare against that checkpoint's own predictions")


def with_encoder(model, encoding: dict):
    """The trained model behind the table's encoder: raw named columns in, class probabilities out.

    The trained model is a layer of the served one beside the inputs, so it must not share a name
    with one: a builder's model called like a column is renamed (gg-train's own never are)."""
    import keras

    from orchestrator.data.table import build_encoder

    raw = {c["input"]: keras.Input(shape=(1,), dtype="float32" if c["kind"] == "numeric" else "string", name=c["input"])
           for c in encoding["columns"]}
    if model.name.lower() in {name.lower() for name in raw}:
        model.name = TRAINED_MODEL_NAME
    return keras.Model(raw, model(build_encoder(encoding)(raw)), name="gg_served")


def export_best(exp_dir: Path, checkpoint_dir: str, metrics: dict, encoding: dict | None = None) -> Path:
    """Copy the checkpoint's `model.keras` (with early stopping's best weights where the trial was
    stopped before it restored them, and the table's encoder in front where there is one), export
    it as a SavedModel, then write its metrics."""
    from orchestrator.train.checkpoint import handover_epoch, load_handover_model

    best = Path(exp_dir) / BEST_DIR
    best.mkdir(exist_ok=True)
    target = best / MODEL_FILE
    if handover_epoch(checkpoint_dir) is None and encoding is None:
        shutil.copy2(Path(checkpoint_dir) / MODEL_FILE, target)
    else:
        model = load_handover_model(checkpoint_dir)
        (with_encoder(model, encoding) if encoding is not None else model).save(target)
    write_saved_model(best)
    write_json_atomic(best / INPUTS_FILE, inputs_description(target, encoding))
    write_json_atomic(best / "metrics.json", metrics)
    return target


def inputs_description(model_file: Path, encoding: dict | None) -> dict:
    """What the exported model takes, for whoever serves it: each input's name, shape and dtype,
    and for an encoded table which column each input is, how an empty cell is filled and which
    columns were left out, so the feature names travel with the model."""
    import keras

    model = keras.models.load_model(model_file, compile=False, safe_mode=True)
    described: dict = {"inputs": [{"name": t.name, "shape": [None if d is None else int(d) for d in t.shape],
                                   "dtype": str(t.dtype)} for t in model.inputs]}
    if encoding is not None:
        described["columns"] = [{"column": c["name"], "input": c["input"], "kind": c["kind"],
                                 **({"fill": c["fill"], "missing_indicator": c["indicator"]} if c["kind"] == "numeric"
                                    else {"levels": len(c["vocabulary"]), "unseen": "out-of-vocabulary slot"})}
                                for c in encoding["columns"]]
        described["dropped"] = encoding["dropped"]
        described["feature_names"] = encoding["feature_names"]
    return described


def write_saved_model(best: Path) -> Path:
    """Export `best/model.keras` (not the in-memory model) so both artifacts come from one file.

    The export goes to a temporary sibling first and replaces `saved_model/` only when complete,
    so an interrupted export never leaves a half-written servable behind.
    """
    from orchestrator.train import checkpoint, distribute

    distribute.prepare_driver()
    import tensorflow as tf

    model = checkpoint.load_model(best, compile=False)
    signature = None  # several named inputs or images: the model's own input specs, names kept
    if len(model.inputs) == 1 and len(model.inputs[0].shape) == 2:
        signature = [tf.TensorSpec((None, int(model.inputs[0].shape[-1])), tf.float32, name="features")]
    target, staging = best / SAVED_MODEL_DIR, best / f".{SAVED_MODEL_DIR}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    model.export(str(staging), format="tf_saved_model", verbose=False, input_signature=signature)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return target


def verify_export(exp_dir: Path, x_test: np.ndarray, expected_proba: np.ndarray, tolerance: float = 1e-5,
                  checker: "Checker | None" = None, folder: str = BEST_DIR) -> dict:
    """Reload both artifacts of `exp_dir/folder` (best/, or the doctor's repaired/) in a fresh process
    and compare their outputs on `x_test` with `expected_proba` (the outputs of the model that was
    evaluated); raise `ExportError` on any difference above `tolerance` or any artifact that fails to load."""
    arrays = check_arrays(x_test)
    expected = np.asarray(expected_proba, dtype=np.float64)
    rows = {len(a) for a in arrays.values()}
    if rows != {len(expected)} or not len(expected) or expected.ndim != 2:
        raise ExportError(f"cannot verify the export: the inputs have {sorted(rows)} rows and expected_proba is "
                          f"{expected.shape}; they must have the same, non-zero number of rows")
    with tempfile.TemporaryDirectory(prefix="gg-export-check-") as tmp:
        data, out = Path(tmp) / "check.npz", Path(tmp) / "result.json"
        np.savez(data, expected=expected, **arrays)
        result = _run_check(Path(exp_dir) / folder, data, out, checker)
    diffs = {name: result["max_abs_diff"].get(name) for name in ARTIFACTS}
    _raise_on_mismatch(diffs, result.get("errors", {}), tolerance, len(expected))
    return {"verified": True, "max_abs_diff": diffs, "tolerance": tolerance, "process": "fresh"}


def check_arrays(x) -> dict[str, np.ndarray]:
    """The inputs as the check file stores them: `x` for one float32 array, `x:<name>` per named
    column (floats as float32, text as fixed-width unicode: no pickled objects)."""
    if not isinstance(x, dict):
        return {"x": np.asarray(x, dtype=np.float32)}
    return {f"x:{k}": (np.asarray(v, dtype=np.float32) if np.asarray(v).dtype.kind in "biuf" else np.asarray(v).astype(str))
            for k, v in x.items()}


def _child_env() -> dict:
    """No GPU and no native start-up chatter in the checker; the project importable from anywhere."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    root = str(Path(__file__).resolve().parents[2])  # the folder that holds `orchestrator/`
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


class Checker:
    """The fresh interpreter that proves the export, started early (`launch` starts it before the
    trials) so its TensorFlow import is paid while trials run, not after them. It imports and then
    waits for one job on stdin; it has never seen a model when the job arrives, so the proof is as
    fresh as a process started at the end. One job per process."""

    def __init__(self) -> None:
        command = [sys.executable, "-m", "orchestrator.results.export_check", "--wait"]
        self.proc = subprocess.Popen(command, env=_child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)

    def usable(self) -> bool:
        return self.proc.poll() is None

    def check(self, best: Path, data: Path, out: Path) -> tuple[int, str]:
        """(exit code, output) of the check of `best` on `data`, its result written to `out`."""
        job = json.dumps({"best": str(best), "data": str(data), "out": str(out)}) + "\n"
        try:
            stdout, stderr = self.proc.communicate(job, timeout=CHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            self.close()
            raise ExportError(f"the export check in a fresh process took longer than {CHECK_TIMEOUT_S} s") from exc
        return self.proc.returncode, stderr or stdout or ""

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def _run_check(best: Path, data: Path, out: Path, checker: Checker | None = None) -> dict:
    """Run `orchestrator.results.export_check` in a new interpreter (the one started early, when it
    is still alive) and read the JSON it writes."""
    if checker is None or not checker.usable():
        checker = Checker()
    try:
        code, output = checker.check(best, data, out)
    finally:
        checker.close()
    logfile.relay(output)  # TensorFlow's start-up in the fresh process: the log, not the console
    if code in (-signal.SIGINT, 130):  # Ctrl-C reached the child too: an interruption, not a bad export
        raise KeyboardInterrupt
    if code != 0 or not out.exists():
        tail = " ".join(output.strip().splitlines()[-3:])
        raise ExportError(f"the export check in a fresh process failed (exit {code}): {tail[-400:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def _raise_on_mismatch(diffs: dict, errors: dict, tolerance: float, n: int) -> None:
    """One `ExportError` naming every artifact that failed to load or differs, and by how much."""
    problems = []
    for name in ARTIFACTS:
        diff = diffs.get(name)
        if name in errors or diff is None:
            problems.append(f"best/{name} could not be loaded or run: {errors.get(name, 'no result')}")
        elif not diff <= tolerance:  # also catches NaN
            problems.append(f"best/{name} differs from the evaluated model by max |Δ| = {diff:.3g} "
                            f"over {n} test rows (tolerance {tolerance:g})")
    if problems:
        raise ExportError("; ".join(problems), hint=_HINT)


def export_and_verify(exp_dir: Path, best, x_test: np.ndarray, checker: "Checker | None" = None,
                      encoding: dict | None = None, raw_test: dict | None = None) -> dict:
    """Export the chosen checkpoint (`best`, an `Evaluated`) to best/, then prove in a fresh process
    that both artifacts predict exactly what the evaluated checkpoint predicts on the test split:
    the exported model on its raw rows (`raw_test`, the columns as read, for an encoded table), the
    checkpoint on the features it was evaluated on. A failed proof moves the export to
    best.unverified/, and an export cut short is removed: nothing unverified sits at best/."""
    from orchestrator.train.checkpoint import load_handover_model

    outcome = best.outcome
    from orchestrator.data.image_files import is_on_disk

    if is_on_disk(x_test):  # images kept on disk: the proof decodes (up to) the first PROOF_IMAGES
        x_test = x_test[:PROOF_IMAGES].decoded()
    try:
        export_best(exp_dir, outcome.checkpoint, {"variant": outcome.variant, "trial_id": outcome.trial_id,
                                                  "train": best.train, "val": best.val, "test": best.test,
                                                  "threshold": best.threshold}, encoding)
    except BaseException:  # a full disk or Ctrl-C mid-export: no half-written best/ (resume exports again)
        shutil.rmtree(Path(exp_dir) / BEST_DIR, ignore_errors=True)
        raise
    import tensorflow as tf

    with tf.device("/CPU:0"):  # the proof runs on CPU in the child; compare like with like (no TF32 on GPUs)
        expected = load_handover_model(outcome.checkpoint).predict(x_test, verbose=0)
    try:
        return verify_export(exp_dir, raw_test if encoding is not None else x_test, expected, checker=checker)
    except BaseException:
        unverified = Path(exp_dir) / f"{BEST_DIR}.unverified"
        shutil.rmtree(unverified, ignore_errors=True)
        os.replace(Path(exp_dir) / BEST_DIR, unverified)
        raise
