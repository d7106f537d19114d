"""The built-in MLP builder: hyperparameters in, an uncompiled `keras.Model` out (the caller compiles).

Feature scaling is a `Normalization` layer whose mean and variance come from the training split,
so the saved model takes raw features and no preprocessing can be forgotten at serving time.
The variant decides the regularizers: `l2 == 0` means no kernel regularizer at all, and a zero
dropout rate means no Dropout layer, so the baseline really is unregularized.

`hidden: []` is the first rung of the capacity ladder: no hidden layer, so the model is a logistic
(softmax) regression on the scaled features, trained by the same loop and exported like any winner.
Its regularizers move to where its weights are: L2 on the output's kernel (a ridge-penalized
logistic regression), dropout on the scaled inputs (for a linear model, dropout on the inputs acts
as an adaptive L2 penalty: Wager, Wang & Liang 2013), so its l2 and dropout variants differ from its
baseline as they do for a deeper network.
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
    """Normalization → [Dense (L2) → Dropout] × len(hidden) → sigmoid or softmax output; with no
    hidden layer, Normalization → Dropout → output (L2)."""
    import keras

    inputs = keras.Input(shape=(n_features,), name="features")
    # float32 under mixed precision too: (70500 - 70000) / std overflows float16 (max 65504) to NaN.
    x = keras.layers.Normalization(mean=np.asarray(mean), variance=np.asarray(variance), name="scaling", dtype="float32")(inputs)
    rates = dropout_rates(dropout, len(hidden))
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    for i, units in enumerate(hidden):
        x = keras.layers.Dense(int(units), activation=activation, kernel_regularizer=regularizer, name=f"dense_{i}")(x)
        if rates[i] > 0:
            x = keras.layers.Dropout(rates[i], name=f"dropout_{i}")(x)
    linear = not hidden  # the linear rung: its regularizers act on the only weights it has
    input_rate = dropout_rates(dropout, 1)[0] if linear else 0.0
    if input_rate > 0:
        x = keras.layers.Dropout(input_rate, name="input_dropout")(x)
    output = {"kernel_regularizer": regularizer if linear else None, "dtype": "float32", "name": "output"}
    if n_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid", **output)(x)
    else:
        outputs = keras.layers.Dense(n_classes, activation="softmax", **output)(x)
    return keras.Model(inputs, outputs, name="gg_mlp")
