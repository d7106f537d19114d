"""The seed's three-model comparison (`configs/seed.yaml`: baseline 128-64 for 100 epochs, L2 64-32
for 50, dropout + early stopping 64-32 for up to 100) on a 600-row CSV: `gg-train launch` end to
end against a plain script that trains the same three Keras models one after another with `fit`,
as a user would by hand; both in fresh processes, both with their imports, both on the same file."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import yaml

from scripts.benchmarks.common import ROOT, classification, figure, quiet_env, timed, write_csv
from scripts.benchmarks.launching import launch

PLAIN = textwrap.dedent("""
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


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="gg-bench-seed-") as tmp:
        x, y = classification(600, seed=4)
        csv = write_csv(Path(tmp) / "seed.csv", x, y)
        config = yaml.safe_load((ROOT / "configs" / "seed.yaml").read_text(encoding="utf-8"))
        config["data"] = {"source": "csv", "path": str(csv), "label": "label"}
        config.setdefault("diagnosis", {})["learning_curve"] = False  # the plain script draws no curve
        wall, _, _ = launch(config, Path(tmp) / "runs", "seed")
        with timed() as took:
            proc = subprocess.run([sys.executable, "-c", PLAIN, str(csv)], env=quiet_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        plain = took()
        return [figure("seed comparison, gg-train launch end to end (s)", wall, "plain sequential Keras script (s)", plain,
                       "≤ 0.5")]
