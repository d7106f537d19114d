"""An example model builder for gg-train: a small MLP for tables. Copy it and make it yours.

Use it from a config:

    model: {builder: configs/builder_example.py:build, params: {units: {choice: [32, 64]}}}

or a module on the Python path: `builder: mypackage.models:build`. A file path is relative to the
directory gg-train runs in (or absolute) and must end in .py.

The contract
------------
gg-train calls `build(spec)` once per trial, in the trial's own process (the file is imported there
afresh, so keep imports cheap and the function free of global state). `spec` is a
`orchestrator.models.builder.BuildSpec`:

- `spec.input_shape`: the shape of one example without the batch axis. Tables: `(n_features,)`,
  gg-train's own encoding of the columns, already standardized (mean 0, variance 1), so the model
  needs no Normalization in front. Images: `(height, width, channels)` raw pixels (0-255): put a
  `Rescaling(1 / 255)` (or what your model needs) in front yourself.
- `spec.n_classes`: the number of classes.
- `spec.l2`: the L2 strength of this trial. 0 means no regularization: the baseline must be
  unregularized. When > 0 put `keras.regularizers.L2(spec.l2)` on the kernels of your Dense/Conv layers.
- `spec.dropout`: the dropout rate of this trial. 0 means no Dropout layers at all; when > 0 add
  `keras.layers.Dropout(spec.dropout)` where you want them (after hidden layers, never after the output).
- `spec.params`: the values of the config's `model.params`, one draw per trial (a searched domain
  is drawn like any hyperparameter); read them with defaults, as below.

Return an uncompiled `keras.Model` (a `keras.Sequential` is fine) whose input takes
`spec.input_shape` and whose output is class probabilities: `Dense(1, activation="sigmoid")` for
two classes (or `Dense(2, activation="softmax")`), `Dense(n_classes, activation="softmax")`
otherwise; not logits. gg-train compiles it (optimizer, learning rate, loss, metrics come from the
config), so a model you compile is compiled again and your settings are ignored. Before any trial
starts, gg-train builds the model twice (with and without regularization) and reports a builder
that ignores `spec.l2` or `spec.dropout`: its variants would only equal the baseline.
"""

from __future__ import annotations


def build(spec):
    """units × layers ReLU MLP with L2 kernels and Dropout when the trial asks for them."""
    import keras

    units = int(spec.params.get("units", 64))
    n_layers = int(spec.params.get("layers", 2))
    regularizer = keras.regularizers.L2(spec.l2) if spec.l2 > 0 else None
    inputs = keras.Input(shape=spec.input_shape, name="features")
    x = inputs
    for i in range(n_layers):
        x = keras.layers.Dense(units, activation="relu", kernel_regularizer=regularizer, name=f"hidden_{i}")(x)
        if spec.dropout > 0:
            x = keras.layers.Dropout(spec.dropout, name=f"dropout_{i}")(x)
    if spec.n_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(x)
    else:
        outputs = keras.layers.Dense(spec.n_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="example_mlp")
