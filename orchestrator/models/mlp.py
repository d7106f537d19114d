"""The built-in MLP builder: hyperparameters in, an uncompiled `keras.Model` out (the caller compiles).

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
    # float32 under mixed precision too: (70500 - 70000) / std overflows float16 (max 65504) to NaN.
    x = keras.layers.Normalization(mean=np.asarray(mean), variance=np.asarray(variance), name="scaling", dtype="float32")(inputs)
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
