"""The quickstart end to end (`gg-train launch --config configs/quickstart.yaml`: 12 trials, the
learning curve, evaluation, export proof, report) against the loop a user would write by hand: the
same 12 recipes (6 variants × 2 draws from the same domains, 30 epochs, early stopping with best
weights where the variant has it) trained one after another with Keras `fit` on the same rows,
each evaluated on the test split. Both in fresh processes, imports included."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap

from scripts.benchmarks.common import ROOT, figure, quiet_env, timed

PLAIN = textwrap.dedent("""
    import keras, numpy as np
    from orchestrator.config import load_config
    from orchestrator.data import load_dataset

    from pathlib import Path
    config = load_config(Path("configs/quickstart.yaml"))
    data = load_dataset(config.data, config.seed)  # the same rows gg-train splits
    rng = np.random.default_rng(0)
    train, val, test = data.train, data.val, data.test
    kinds = ["baseline", "l2", "dropout", "early_stopping", "dropout_early_stopping", "l2_dropout"]
    for kind in kinds:
        for draw in range(2):
            hidden = [[128, 64], [256, 128]][rng.integers(2)]
            l2 = float(np.exp(rng.uniform(np.log(1e-4), np.log(3e-2)))) if "l2" in kind else 0.0
            rate = float(rng.uniform(0.2, 0.6)) if "dropout" in kind else 0.0
            lr = float(np.exp(rng.uniform(np.log(5e-4), np.log(5e-3))))
            inputs = keras.Input(shape=(train.x.shape[1],))
            h = keras.layers.Normalization(mean=train.x.mean(0), variance=train.x.var(0))(inputs)
            for units in hidden:
                h = keras.layers.Dense(units, activation="relu", kernel_regularizer=keras.regularizers.L2(l2) if l2 else None)(h)
                if rate:
                    h = keras.layers.Dropout(rate)(h)
            model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
            model.compile(optimizer=keras.optimizers.Adam(lr), loss="binary_crossentropy", metrics=["accuracy"])
            stop = [keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)] if "early" in kind else []
            model.fit(train.x, train.y, validation_data=(val.x, val.y), epochs=30, batch_size=32, callbacks=stop, verbose=0)
            print(kind, draw, model.evaluate(test.x, test.y, verbose=0, return_dict=True)["accuracy"])
""")


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="gg-bench-quickstart-") as runs:
        command = [sys.executable, "-m", "orchestrator.cli", "launch", "--config", "configs/quickstart.yaml", "--gpus", "0",
                   "--name", "quickstart", "--runs-dir", runs]
        with timed() as ours:
            proc = subprocess.run(command, cwd=ROOT, env=quiet_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
    with timed() as plain:
        proc = subprocess.run([sys.executable, "-c", PLAIN], cwd=ROOT, env=quiet_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return [figure("quickstart, gg-train launch end to end (s)", ours(), "the same 12 recipes by hand, sequential fit (s)",
                   plain(), "≤ 20 s (a guide)")]
