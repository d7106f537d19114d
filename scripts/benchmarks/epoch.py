"""A trial's time per epoch inside gg-train (a real Tune trial: compiled epoch, report, TensorBoard
scalars, checkpoints on their cadence) against a bare compiled epoch loop a user would write by
hand on the same model, rows and batches, and against Keras' own `fit`.

The trial's per-epoch figure comes from its own reports: (time at the last report − time at the
first) / (epochs − 1), so worker start-up and the first trace are not in it (`bench reuse` has them).
Tune's clock (`time_total_s`) runs only while the trainable waits for its next report; the trial's
thread waits too while Tune handles a report, so that hand-over is in no clock of Tune's. Two more
views of the same trial show it: the wall clock between the trial's first and last TensorBoard
scalars (written in its epoch loop, before each report), and `run_trial` in one process without
Ray (`inprocess`) on the same model and batch.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from scripts.benchmarks.common import classification, figure, load_note, timed, trial_results, write_csv
from scripts.benchmarks.inprocess import run_trials
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


def bare_loop_seconds(x_train, y_train, x_val, y_val, batch: int) -> float:
    """Per epoch: a hand-written tf.function epoch (shuffle, batches, tape, Adam) plus validation."""
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
    with timed() as took:
        for e in range(1, EPOCHS):
            float(epoch(tf.constant([0, e], tf.int64)))
    return took() / (EPOCHS - 1)


def fit_seconds(x_train, y_train, x_val, y_val, batch: int) -> float:
    import keras

    keras.utils.set_random_seed(0)
    model = _model(x_train.shape[1], x_train)
    model.fit(x_train, y_train, validation_data=(x_val, y_val), batch_size=batch, epochs=1, verbose=0)
    with timed() as took:
        model.fit(x_train, y_train, validation_data=(x_val, y_val), batch_size=batch, epochs=EPOCHS, verbose=0)
    return took() / EPOCHS


def board_seconds(exp_dir: Path) -> float:
    """Per epoch by the wall clock: the trial's TensorBoard training scalars, first step to last."""
    import tensorflow as tf

    walls = {}
    for path in exp_dir.glob("tensorboard/*/train/events.out.tfevents*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            if event.HasField("summary"):
                walls.setdefault(event.step, event.wall_time)
    steps = sorted(walls)
    return (walls[steps[-1]] - walls[steps[0]]) / (steps[-1] - steps[0])


def trial_seconds(csv: Path, runs: Path, batch: int, name: str) -> tuple[float, float]:
    """(per epoch by Tune's clock, per epoch by the wall clock) of one trial through `gg-train launch`."""
    config = one_variant_config(csv, epochs=EPOCHS, batch=batch)
    _, exp_dir, _ = launch(config, runs, name)
    (reports,) = trial_results(exp_dir / "tune")
    return (reports[-1]["time_total_s"] - reports[0]["time_total_s"]) / (len(reports) - 1), board_seconds(exp_dir)


def in_process_seconds(train_rows: int, batch: int) -> float:
    """Per epoch of the same trial run by `run_trial` in one process, no Ray (reports are timestamps)."""
    trial = dict(kind="baseline", hidden=[128, 64], learning_rate=0.001, l2=0.0, dropout=0.0, batch_size=batch,
                 epochs=EPOCHS, seed=1)
    return run_trials([trial], rows=train_rows)[0]["epoch_s"]


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
            trial, wall = trial_seconds(csv, Path(tmp) / "runs", batch, f"epoch{train_rows}")
            alone = in_process_seconds(train_rows, batch)
            bare = bare_loop_seconds(x_train, y_train, x_val, y_val, batch)
            fit = fit_seconds(x_train, y_train, x_val, y_val, batch)
            label, ref = f"{train_rows} rows, batch {batch}, Dense 128-64", "bare compiled loop s/epoch"
            goal = {"key": "epoch"} if train_rows == 300 else {"goal": "≤ 2.0"}
            out += [figure(f"trial s/epoch, Tune's clock ({label})", trial, ref, bare, note=load_note(), **goal),
                    figure(f"trial s/epoch, wall clock of its TensorBoard scalars ({label})", wall, ref, bare, "for reference"),
                    figure(f"run_trial s/epoch in one process, no Ray ({label})", alone, ref, bare, "for reference"),
                    figure(f"Keras fit s/epoch ({label})", fit, ref, bare, "for reference")]
    return out
