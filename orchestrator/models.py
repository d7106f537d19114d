"""Pure model builders: a trial spec in, an uncompiled `keras.Model` out.

Feature scaling is a `Normalization` layer whose mean and variance come from the training split,
so the saved model takes raw features and no preprocessing can be forgotten at serving time.
The variant decides the regularizers: `l2 == 0` means no kernel regularizer at all, and a zero
dropout rate means no Dropout layer, so the baseline really is unregularized.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def dropout_rates(dropout: float | Sequence[float], n_layers: int) -> list[float]:
    """One rate per hidden layer: a single rate applies to all; a short list repeats its last."""
    rates = [float(dropout)] if isinstance(dropout, (int, float)) else [float(r) for r in dropout]
    return (rates + [rates[-1]] * n_layers)[:n_layers]


def build_model(
    *,
    hidden: Sequence[int],
    l2: float,
    dropout: float | Sequence[float],
    n_features: int,
    n_classes: int,
    mean: np.ndarray,
    variance: np.ndarray,
    activation: str = "relu",
):
    """Normalization → [Dense (L2) → Dropout] × len(hidden) → sigmoid or softmax output."""
    import keras

    inputs = keras.Input(shape=(n_features,), name="features")
    x = keras.layers.Normalization(mean=np.asarray(mean), variance=np.asarray(variance), name="scaling")(inputs)
    rates = dropout_rates(dropout, len(hidden))
    for i, units in enumerate(hidden):
        regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
        x = keras.layers.Dense(int(units), activation=activation, kernel_regularizer=regularizer, name=f"dense_{i}")(x)
        if rates[i] > 0:
            x = keras.layers.Dropout(rates[i], name=f"dropout_{i}")(x)
    if n_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid", dtype="float32", name="output")(x)
    else:
        outputs = keras.layers.Dense(n_classes, activation="softmax", dtype="float32", name="output")(x)
    return keras.Model(inputs, outputs, name="gg_mlp")


def compile_model(model, *, n_classes: int, optimizer: str, learning_rate: float) -> None:
    """Compile inside the strategy scope. `xent` is the cross-entropy without the L2 penalty, so
    validation losses compare fairly across variants (Keras' `loss` includes the penalty)."""
    import keras

    opt = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[optimizer]
    if n_classes == 2:
        loss, xent = keras.losses.BinaryCrossentropy(), keras.metrics.BinaryCrossentropy(name="xent")
    else:
        loss, xent = keras.losses.SparseCategoricalCrossentropy(), keras.metrics.SparseCategoricalCrossentropy(name="xent")
    model.compile(optimizer=opt(learning_rate=learning_rate), loss=loss, metrics=["accuracy", xent])


def targets(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels in the shape the loss expects: (n, 1) floats for a sigmoid output, (n,) ints otherwise."""
    return y.reshape(-1, 1).astype(np.float32) if n_classes == 2 else y.astype(np.int32)


def predict_proba(model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (n, K) in inference mode: dropout off, whatever the variant."""
    p = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    if p.shape[1] == 1:
        p = np.hstack([1.0 - p, p])
    return p
