"""inference_mode: BatchNormalization's moving statistics never caught up with its batch statistics.

With few steps, large batches and momentum 0.99 the moving mean and variance stay near their
initial 0 and 1, so the model is good in training mode (batch statistics) and poor in inference
mode. The correction re-estimates each layer's statistics on the training rows, in inference mode,
one layer after the other (each sees the layers before it already corrected): the known repair.
"""

from __future__ import annotations

import numpy as np

from orchestrator.checkup.exam import Exam, clear_gain, finding
from orchestrator.checkup.loading import batched
from orchestrator.checkup.thresholds import MECHANICAL_GAIN

RULE = ("confirmed when, on the training rows, the model with BatchNormalization statistics re-estimated on them (or the "
        f"model called in training mode) is more accurate than in inference mode by at least {MECHANICAL_GAIN} and by more "
        "than the half-width of its 95% interval (beyond chance); not applicable without BatchNormalization layers")


def batch_norm_layers(model) -> list:
    return [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]


def reestimated(model, x):
    """A copy of `model` whose BatchNormalization statistics are the mean and variance of their inputs on `x`."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for layer in batch_norm_layers(copy):
        probe = keras.Model(copy.inputs[0] if len(copy.inputs) == 1 else copy.inputs, layer.input)
        h = batched(probe, x).astype(np.float64)
        axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
        axes = tuple(a for a in range(h.ndim) if a != axis % h.ndim)
        layer.moving_mean.assign(h.mean(axis=axes).astype(np.float32))
        layer.moving_variance.assign(h.var(axis=axes).astype(np.float32))
    return copy


def inference_mode(exam: Exam) -> dict:
    model = exam.model.keras_model
    if model is None:
        return finding("inference_mode", "cannot_tell", "A SavedModel has no layers to inspect.", RULE)
    layers = batch_norm_layers(model)
    if not layers:
        return finding("inference_mode", "not_applicable", "The model has no BatchNormalization layer.", RULE)
    if not exam.has("train"):
        return finding("inference_mode", "cannot_tell", "Needs the training rows (--data) to compare the modes on.", RULE)
    x = exam.x("train")
    x = exam.transform(x) if exam.transform is not None else x
    inference = exam.accuracy("train")
    training = exam.accuracy("train", training=True)
    repaired = reestimated(model, x)
    fixed = exam.accuracy("train", keras_model=repaired)
    numbers = {"batch_norm_layers": len(layers), "train_accuracy_inference_mode": inference,
               "train_accuracy_training_mode": training, "train_accuracy_reestimated": fixed}
    if not clear_gain(max(training, fixed) - inference, len(exam.y_examined("train")), inference):
        return finding("inference_mode", "ruled_out", f"Inference mode scores as well as training mode on the training rows "
                       f"({inference:.3f} vs {training:.3f}).", RULE, **numbers)
    test_before = exam.accuracy("test")
    exam.keras_model = repaired
    test_after = exam.accuracy("test")
    return finding("inference_mode", "confirmed",
                   f"BatchNormalization's moving statistics are stale: on its training rows the model scores {training:.3f} in "
                   f"training mode but {inference:.3f} in inference mode; with the statistics re-estimated on those rows, "
                   f"{fixed:.3f} (test: {test_before:.3f} -> {test_after:.3f}).", RULE,
                   fix="re-estimate the BatchNormalization statistics on the training rows (or train longer / with momentum 0.9)",
                   regained=test_after - test_before, test_accuracy_after=test_after, **numbers)
