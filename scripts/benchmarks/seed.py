"""The seed's three-model comparison (`configs/seed.yaml`: baseline 128-64 for 100 epochs, L2 64-32
for 50, dropout + early stopping 64-32 for up to 100) on a 600-row CSV: `gg-train launch` end to
end as a user runs it (with the learning curve a launch draws by default; and, labelled, without
it), against two plain scripts that train the same three Keras models one after another in one
process, imports included, on the same file:

- ARTICLE, the seed article's own script (issue 27's reference): a Sequential model per example,
  `fit(validation_split=0.2, verbose=0)` then `evaluate` on a test split;
- HEAVIER, the reference of issue 10: a Normalization layer and a separate validation split.

GG_BENCH_REPEAT (default 1) runs the four commands that many times, interleaved, and takes medians.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import yaml

from scripts.benchmarks.common import ROOT, classification, figure, load_note, quiet_env, repeats, timed, write_csv
from scripts.benchmarks.launching import launch

ARTICLE = textwrap.dedent("""
    import sys
    import pandas as pd
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from tensorflow import keras
    from tensorflow.keras import layers, regularizers

    frame = pd.read_csv(sys.argv[1])
    X, y = frame.drop(columns="label").to_numpy("float32"), frame["label"].to_numpy("int32")
    x_train, x_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    scaler = StandardScaler()
    x_train, x_test = scaler.fit_transform(x_train), scaler.transform(x_test)

    def compiled(model):
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="binary_crossentropy", metrics=["accuracy"])
        return model

    # Example 1: the baseline, no regularization
    baseline = compiled(keras.Sequential([keras.Input(shape=(X.shape[1],)), layers.Dense(128, activation="relu"),
                                          layers.Dense(64, activation="relu"), layers.Dense(1, activation="sigmoid")]))
    baseline.fit(x_train, y_train, validation_split=0.2, epochs=100, batch_size=32, verbose=0)
    print(baseline.evaluate(x_test, y_test, verbose=0))

    # Example 2: L2 regularization
    l2 = compiled(keras.Sequential([keras.Input(shape=(X.shape[1],)),
                                    layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(0.01)),
                                    layers.Dense(32, activation="relu", kernel_regularizer=regularizers.l2(0.01)),
                                    layers.Dense(1, activation="sigmoid")]))
    l2.fit(x_train, y_train, validation_split=0.2, epochs=50, batch_size=32, verbose=0)
    print(l2.evaluate(x_test, y_test, verbose=0))

    # Example 3: dropout and early stopping
    dropout = compiled(keras.Sequential([keras.Input(shape=(X.shape[1],)), layers.Dense(64, activation="relu"),
                                         layers.Dropout(0.5), layers.Dense(32, activation="relu"), layers.Dropout(0.3),
                                         layers.Dense(1, activation="sigmoid")]))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    dropout.fit(x_train, y_train, validation_split=0.2, epochs=100, batch_size=32, callbacks=[stop], verbose=0)
    print(dropout.evaluate(x_test, y_test, verbose=0))
""")

HEAVIER = textwrap.dedent("""
    import sys
    import keras, numpy as np, pandas as pd
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(sys.argv[1])
    x, y = frame.drop(columns="label").to_numpy("float32"), frame["label"].to_numpy("int32")
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.25, random_state=0, stratify=y_rest)

    def build(hidden, l2=0.0, dropout=()):
        inputs = keras.Input(shape=(x.shape[1],))
        h = keras.layers.Normalization(mean=x_train.mean(0), variance=x_train.var(0))(inputs)
        for i, units in enumerate(hidden):
            h = keras.layers.Dense(units, activation="relu", kernel_regularizer=keras.regularizers.L2(l2) if l2 else None)(h)
            if dropout:
                h = keras.layers.Dropout(dropout[i])(h)
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
        model.compile(optimizer=keras.optimizers.Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
        return model

    recipes = [(build([128, 64]), 100, []), (build([64, 32], l2=0.01), 50, []),
               (build([64, 32], dropout=(0.5, 0.3)), 100,
                [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)])]
    for model, epochs, callbacks in recipes:
        model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=32, callbacks=callbacks, verbose=0)
        print(model.evaluate(x_test, y_test, verbose=0, return_dict=True))
""")


def _plain_seconds(script: str, csv: Path) -> float:
    with timed() as took:
        proc = subprocess.run([sys.executable, "-c", script, str(csv)], env=quiet_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return took()


def _seed_config(csv: Path, curve: bool) -> dict:
    """configs/seed.yaml on the CSV; the learning curve left at the launch's default, or switched off."""
    config = yaml.safe_load((ROOT / "configs" / "seed.yaml").read_text(encoding="utf-8"))
    config["data"] = {"source": "csv", "path": str(csv), "label": "label"}
    if not curve:
        config.setdefault("diagnosis", {})["learning_curve"] = False
    return config


def run() -> list[dict]:
    walls: dict[str, list[float]] = {"curve": [], "no_curve": [], "article": [], "heavier": []}
    with tempfile.TemporaryDirectory(prefix="gg-bench-seed-") as tmp:
        x, y = classification(600, seed=4)
        csv = write_csv(Path(tmp) / "seed.csv", x, y)
        for i in range(repeats()):
            walls["curve"].append(launch(_seed_config(csv, True), Path(tmp) / "runs", "seed")[0])
            walls["article"].append(_plain_seconds(ARTICLE, csv))
            walls["no_curve"].append(launch(_seed_config(csv, False), Path(tmp) / "runs", "seed_no_curve")[0])
            walls["heavier"].append(_plain_seconds(HEAVIER, csv))
            print(f"  run {i + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in walls.items()) + f" ({load_note()})", flush=True)
    m = {k: statistics.median(v) for k, v in walls.items()}
    article, heavier = "the seed article's plain sequential script (s)", "issue 10's heavier plain script (s)"
    return [figure("seed comparison, gg-train launch with the learning curve (s)", m["curve"], article, m["article"],
                   key="seed", note=load_note()),
            figure("seed comparison, gg-train launch with the learning curve (s)", m["curve"], heavier, m["heavier"],
                   "for reference", note=load_note()),
            figure("seed comparison, gg-train launch WITHOUT the learning curve (s)", m["no_curve"], article, m["article"],
                   "for reference", note=load_note()),
            figure("seed comparison, gg-train launch WITHOUT the learning curve (s)", m["no_curve"], heavier, m["heavier"],
                   "≤ 0.5 (issue 10)", note=load_note())]
