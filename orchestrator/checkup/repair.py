"""Repairs of what is mechanical, chosen on training rows only: `runs/NAME/repaired/`.

The confirmed corrections become one new Keras model: the found input transform as a stock layer in
front (x -> (x - offset) / scale: `Rescaling` for the fixed pixel scalings, / 255 and [-1, 1];
`Normalization` with the statistics of the training rows, per column or per channel), the model with its BatchNormalization statistics re-estimated on the training rows, and the
missing sigmoid or softmax as an `Activation` behind. Stock layers only, so it reloads in safe mode.
It is saved as `model.keras` and a SavedModel, proven in a fresh process exactly as `launch`'s
export is (`results.export.verify_export`), and evaluated once on test. `label_mapping` is a fix to
the test file, not the model, so it is not repaired here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orchestrator.checkup import scores
from orchestrator.checkup.exam import Exam
from orchestrator.errors import ExportError

REPAIRED_DIR = "repaired"
REPAIRABLE = ("preprocessing_mismatch", "inference_mode", "output_scale")


def repaired_model(exam: Exam, confirmed: set[str]):
    """The user's model with every confirmed mechanical correction built in, or None (nothing to
    repair, a SavedModel without layers, or several inputs)."""
    import keras

    base = exam.keras_model if exam.keras_model is not None else exam.model.keras_model
    if not confirmed & set(REPAIRABLE) or base is None or len(base.inputs) != 1:
        return None
    shape = tuple(base.inputs[0].shape[1:])
    inputs = keras.Input(shape=shape, name="pixels" if exam.data.images else "features")
    h = inputs
    if "preprocessing_mismatch" in confirmed:
        h = transform_layer(*exam.transform.affine, width=shape[-1])(h)
    outputs = base(h, training=False)
    if "output_scale" in confirmed:
        outputs = keras.layers.Activation("sigmoid" if exam.model.output_units == 1 else "softmax", name="probabilities")(outputs)
    return keras.Model(inputs, outputs, name="repaired")


def transform_layer(offset, scale, width: int):
    """x -> (x - offset) / scale as a stock layer: `Rescaling` when both are one number, else
    `Normalization` over the last axis (columns, or an image's channels)."""
    import keras

    if np.ndim(offset) == 0 and np.ndim(scale) == 0:
        return keras.layers.Rescaling(1.0 / float(scale), offset=-float(offset) / float(scale), name="training_transform")
    return keras.layers.Normalization(mean=np.broadcast_to(offset, (width,)).astype(np.float32),
                                      variance=np.broadcast_to(np.square(scale), (width,)).astype(np.float32),
                                      name="training_transform")


def write_repair(exam: Exam, confirmed: set[str], exp_dir: Path) -> dict | None:
    """Save, export and prove the repaired model, then score it once on test; None when nothing is repaired."""
    from orchestrator.results.export import verify_export, write_saved_model

    model = repaired_model(exam, confirmed)
    if model is None:
        return None
    folder = Path(exp_dir) / REPAIRED_DIR
    folder.mkdir()
    model.save(folder / "model.keras")
    write_saved_model(folder)
    x_test, y_test = exam.data.splits["test"].x, exam.y("test")
    raw = exam.model.outputs(x_test, keras_model=model)
    entry = {"path": str(folder / "model.keras"), "repairs": sorted(confirmed & set(REPAIRABLE)),
             "test": scores.split_scores(y_test, scores.as_read(raw), exam.n_classes,
                                         scores.class_counts(exam.data.splits, exam.n_classes))}
    try:
        proof = verify_export(exp_dir, x_test, raw, folder=REPAIRED_DIR)
    except ExportError as err:
        return {**entry, "verified": False, "error": err.one_line(), "max_abs_diff": None}
    return {**entry, "verified": True, "max_abs_diff": proof["max_abs_diff"]}
