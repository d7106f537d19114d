"""Which model a trial trains (inside its worker): the built-in MLP (tables), the CNN family (images), the user's
builder, or the architecture of the user's saved `.keras` model; one entry point for the trial.

A user's model gets gg-train's preprocessing put in front of it, so the trained and exported model
takes what the data holds: for tables, a `Normalization` layer with the training split's
statistics (gg-train's own encoding of text and empty cells goes in front of that at export); for
images, the augmentation layers of the augmentation variants (active only in training). A saved
model that carries its own preprocessing layers keeps them and gets no second scaling.
The output is cast to float32, so mixed precision never hands float16 probabilities to the loss.
"""

from __future__ import annotations

from typing import Any

from orchestrator.train.spec import TrialSetup, TrialSpec


def build_for_trial(spec: TrialSpec, setup: TrialSetup, input_shape: tuple[int, ...]):
    """An uncompiled model of the trial's variant; the caller compiles it inside its strategy scope."""
    if setup.model_kind == "mlp":
        from orchestrator.models.mlp import build_model

        return build_model(hidden=spec.hidden, l2=spec.l2, dropout=spec.dropout, n_features=int(input_shape[0]),
                           n_classes=setup.n_classes, mean=setup.mean, variance=setup.variance, activation=setup.activation)
    if setup.model_kind == "cnn":
        from orchestrator.models.cnn import build_cnn

        p = spec.params
        return build_cnn(input_shape=tuple(input_shape), n_classes=setup.n_classes, filters=int(p.get("filters", 32)),
                         depth=int(p.get("depth", 2)), kernel_size=int(p.get("kernel_size", 3)), dense=int(p.get("dense", 64)),
                         l2=spec.l2, dropout=spec.dropout_rate, augment=spec.augment, flip=_flips(spec))
    inner, scale = user_model(spec, setup, input_shape)
    return wrapped(inner, spec, setup, input_shape, scale)


def _flips(spec: TrialSpec) -> bool:
    """Mirror images too (`model.params.flip: true`), in the augmentation variants only: digits and
    text are not mirror-symmetric, so it is off unless asked for."""
    return bool(spec.params.get("flip", False)) and spec.augment > 0


def user_model(spec: TrialSpec, setup: TrialSetup, input_shape: tuple[int, ...]) -> tuple[Any, bool]:
    """(the user's model for this trial's regularizers, whether gg-train's scaling goes in front)."""
    images = len(input_shape) > 1
    if setup.model_kind == "builder":
        from orchestrator.models.builder import BuildSpec, build_user_model

        built = build_user_model(setup.model_ref, BuildSpec(tuple(input_shape), setup.n_classes, spec.l2, spec.dropout_rate,
                                                            dict(spec.params)))
        return built, not images
    from pathlib import Path

    from orchestrator.models.saved import has_own_preprocessing, rebuild

    model, _ = rebuild(Path(setup.model_ref), l2=spec.l2, dropout=spec.dropout_rate)
    return model, not images and not has_own_preprocessing(model)


def wrapped(inner, spec: TrialSpec, setup: TrialSetup, input_shape: tuple[int, ...], scale: bool):
    """Input → [augmentation] → [Normalization] → the user's model → float32 probabilities."""
    import keras
    import numpy as np

    images = len(input_shape) > 1
    inputs = keras.Input(shape=tuple(input_shape), name="pixels" if images else "features")
    x = inputs
    if images and spec.augment > 0:
        from orchestrator.models.cnn import augmentation

        x = augmentation(x, spec.augment, _flips(spec))
    if scale:
        # float32 under mixed precision too: raw features can overflow float16 before scaling
        x = keras.layers.Normalization(mean=np.asarray(setup.mean), variance=np.asarray(setup.variance),
                                       name="scaling", dtype="float32")(x)
    probabilities = inner(x)
    if setup.n_classes == 2 and probabilities.shape[-1] == 2:
        probabilities = probabilities[:, 1:]  # two softmax units: P(class 1), the one-sigmoid form every consumer reads
    outputs = keras.layers.Activation("linear", dtype="float32", name="probabilities")(probabilities)
    return keras.Model(inputs, outputs, name=f"gg_{setup.model_kind}")
