"""A trial's time per epoch inside gg-train (a real Tune trial: compiled epoch, report, TensorBoard
scalars, checkpoints on their cadence) against a bare compiled epoch loop a user would write by
hand on the same model, rows and batches, and against Keras' own `fit`.

The trial's per-epoch figure counts epochs 2 to 60, so worker start-up and the first trace are not
in it (`bench reuse` has them). It is the wall clock between the trial's TensorBoard scalars
(written in its epoch loop before each report: an epoch, its report and Tune's handling of it,
checkpoints on their cadence).
Tune's own clock (`time_this_iter_s`) runs only while the trainable waits for its next report, and
the trial's thread waits while Tune handles a report, so that hand-over is in no clock of Tune's:
it is printed beside, labelled, with `run_trial` in one process without Ray (`inprocess`). Means are
the figures; the medians (robust to a busy machine's spikes) are noted beside.
"""

from __future__ import annotations

import statistics
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


def bare_loop_seconds(x_train, y_train, x_val, y_val, batch: int) -> list[float]:
    """Each epoch's seconds of `bare_epoch`, the reference a trial's epoch is measured against."""
    epoch = bare_epoch(x_train, y_train, x_val, y_val, batch)
    seconds = []
    for e in range(1, EPOCHS):
        with timed() as took:
            epoch(0, e)
        seconds.append(took())
    return seconds


def fit_seconds(x_train, y_train, x_val, y_val, batch: int) -> float:
    import keras

    keras.utils.set_random_seed(0)
    model = _model(x_train.shape[1], x_train)
    model.fit(x_train, y_train, validation_data=(x_val, y_val), batch_size=batch, epochs=1, verbose=0)
    with timed() as took:
        model.fit(x_train, y_train, validation_data=(x_val, y_val), batch_size=batch, epochs=EPOCHS, verbose=0)
    return took() / EPOCHS


def board_seconds(exp_dir: Path) -> list[float]:
    """Each epoch after the first by the wall clock: between the trial's TensorBoard training scalars."""
    import tensorflow as tf

    walls = {}
    for path in exp_dir.glob("tensorboard/*/train/events.out.tfevents*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            if event.HasField("summary"):
                walls.setdefault(event.step, event.wall_time)
    steps = sorted(walls)
    return [walls[b] - walls[a] for a, b in zip(steps, steps[1:])]


def trial_seconds(csv: Path, runs: Path, batch: int, name: str) -> tuple[list[float], list[float]]:
    """Each epoch after the first, by Tune's clock and by the wall clock, of one trial through `gg-train launch`."""
    config = one_variant_config(csv, epochs=EPOCHS, batch=batch)
    _, exp_dir, _ = launch(config, runs, name)
    (rows,) = trial_results(exp_dir / "tune")
    return tune_clock(rows), board_seconds(exp_dir)


def tune_clock(rows: list[dict]) -> list[float]:
    """Each epoch after the first report's by Tune's clock: a report standing for n epochs (its
    result rows share its `training_iteration`) counts n epochs of 1/n its `time_this_iter_s`."""
    reports: dict[int, list[float]] = {}
    for row in rows:
        reports.setdefault(row["training_iteration"], []).append(row["time_this_iter_s"])
    return [t / len(ts) for it, ts in sorted(reports.items())[1:] for t in ts]


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
            tune_clock, wall_clock = trial_seconds(csv, Path(tmp) / "runs", batch, f"epoch{train_rows}")
            alone = in_process_seconds(train_rows, batch)
            bare_epochs = bare_loop_seconds(x_train, y_train, x_val, y_val, batch)
            fit = fit_seconds(x_train, y_train, x_val, y_val, batch)
            bare, wall = statistics.mean(bare_epochs), statistics.mean(wall_clock)
            label, ref = f"{train_rows} rows, batch {batch}, Dense 128-64", "bare compiled loop s/epoch"
            goal = {"key": "epoch"} if train_rows == 300 else {"goal": "≤ 2.0"}
            medians = (f"medians: trial {statistics.median(wall_clock) * 1e3:.1f} ms, bare {statistics.median(bare_epochs) * 1e3:.1f} ms, "
                       f"ratio {statistics.median(wall_clock) / statistics.median(bare_epochs):.2f}; {load_note()}")
            out += [figure(f"trial s/epoch, wall clock between its TensorBoard scalars ({label})", wall, ref, bare,
                           note=medians, **goal),
                    figure(f"trial s/epoch, Tune's clock: without Tune's hand-over ({label})", statistics.mean(tune_clock), ref,
                           bare, "for reference"),
                    figure(f"run_trial s/epoch in one process, no Ray ({label})", alone, ref, bare, "for reference"),
                    figure(f"Keras fit s/epoch ({label})", fit, ref, bare, "for reference")]
    return out
