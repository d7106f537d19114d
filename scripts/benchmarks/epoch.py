"""A trial's time per epoch inside gg-train (a real Tune trial: compiled epoch, report, TensorBoard
scalars, checkpoints on their cadence) against a bare compiled epoch loop a user would write by
hand on the same model, rows and batches, and against Keras' own `fit`.

The trial's per-epoch figure comes from its own reports: (time at the last report − time at the
first) / (epochs − 1), so worker start-up and the first trace are not in it (`bench reuse` has them).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from scripts.benchmarks.common import classification, figure, timed, trial_results, write_csv
from scripts.benchmarks.launching import launch, one_variant_config

EPOCHS = 60


def _model(n_features: int, x_train: np.ndarray):
    import keras

    inputs = keras.Input(shape=(n_features,))
    h = keras.layers.Normalization(mean=x_train.mean(0), variance=x_train.var(0))(inputs)
    for units in (128, 64):
        h = keras.layers.Dense(units, activation="relu")(h)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def bare_epoch(x_train, y_train, x_val, y_val, batch: int):
    """A hand-written tf.function epoch (shuffle, batches, tape, Adam) plus validation, traced once;
    `epoch(r, e)` runs the epoch with the row order of seed (r, e) and returns the validation loss."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    model = _model(x_train.shape[1], x_train)
    model.optimizer.build(model.trainable_variables)
    x, y = tf.constant(x_train), tf.constant(y_train.reshape(-1, 1).astype("float32"))
    xv, yv = tf.constant(x_val), tf.constant(y_val.reshape(-1, 1).astype("float32"))
    n = len(y_train)

    @tf.function
    def epoch(seed):
        order = tf.argsort(tf.random.stateless_uniform([n], seed=seed))
        for i in tf.range((n + batch - 1) // batch):
            rows = order[i * batch:tf.minimum((i + 1) * batch, n)]
            with tf.GradientTape() as tape:
                loss = keras.losses.binary_crossentropy(tf.gather(y, rows), model(tf.gather(x, rows), training=True))
                loss = tf.reduce_mean(loss)
            model.optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return tf.reduce_mean(keras.losses.binary_crossentropy(yv, model(xv, training=False)))

    epoch(tf.constant([0, 0], tf.int64))
    return lambda r, e: float(epoch(tf.constant([r, e], tf.int64)))


def bare_loop_seconds(x_train, y_train, x_val, y_val, batch: int) -> float:
    """Per epoch: `bare_epoch`, the reference a trial's epoch is measured against."""
    epoch = bare_epoch(x_train, y_train, x_val, y_val, batch)
    with timed() as took:
        for e in range(1, EPOCHS):
            epoch(0, e)
    return took() / (EPOCHS - 1)


def fit_seconds(x_train, y_train, x_val, y_val, batch: int) -> float:
    import keras

    keras.utils.set_random_seed(0)
    model = _model(x_train.shape[1], x_train)
    model.fit(x_train, y_train, validation_data=(x_val, y_val), batch_size=batch, epochs=1, verbose=0)
    with timed() as took:
        model.fit(x_train, y_train, validation_data=(x_val, y_val), batch_size=batch, epochs=EPOCHS, verbose=0)
    return took() / EPOCHS


def trial_seconds(csv: Path, runs: Path, batch: int, name: str) -> float:
    config = one_variant_config(csv, epochs=EPOCHS, batch=batch)
    _, exp_dir, _ = launch(config, runs, name)
    (reports,) = trial_results(exp_dir / "tune")
    return (reports[-1]["time_total_s"] - reports[0]["time_total_s"]) / (len(reports) - 1)


def run() -> list[dict]:
    import os

    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)  # a trial's thread budget (cpus_per_trial 1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    out = []
    with tempfile.TemporaryDirectory(prefix="gg-bench-epoch-") as tmp:
        for train_rows, batch in ((300, 32), (3600, 64)):
            x, y = classification(2 * train_rows, seed=1)
            csv = write_csv(Path(tmp) / f"rows{train_rows}.csv", x, y)
            # The same split gg-train makes (train half, val a quarter); the rows, not their identity, set the cost.
            x_train, y_train, x_val, y_val = x[:train_rows], y[:train_rows], x[train_rows:train_rows * 3 // 2], y[train_rows:train_rows * 3 // 2]
            trial = trial_seconds(csv, Path(tmp) / "runs", batch, f"epoch{train_rows}")
            bare = bare_loop_seconds(x_train, y_train, x_val, y_val, batch)
            fit = fit_seconds(x_train, y_train, x_val, y_val, batch)
            label = f"{train_rows} rows, batch {batch}, Dense 128-64"
            out.append(figure(f"trial s/epoch ({label})", trial, "bare compiled loop s/epoch", bare, "≤ 2.0"))
            out.append(figure(f"Keras fit s/epoch ({label})", fit, "bare compiled loop s/epoch", bare, "for reference"))
    return out
