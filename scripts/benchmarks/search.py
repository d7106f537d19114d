"""A hyperparameter search on the same rows as KerasTuner's Hyperband (max 27 epochs): gg-train's
24 trials (6 variants × 4, ASHA; random draws, then Optuna's TPE) end to end, against KerasTuner searching the same MLP family
(hidden sizes, L2, dropout, learning rate) on the same train/validation split, both judged on the
same 1,200 held-out rows. Needs the `bench` extra (keras-tuner)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from scripts.benchmarks.common import ROOT, classification, figure, load_note, quiet_env, timed
from scripts.benchmarks.launching import launch

KERAS_TUNER = textwrap.dedent("""
    import json, sys
    import keras, keras_tuner, numpy as np
    from orchestrator.config import SplitConfig
    from orchestrator.data.split import stratified_split

    arrays = np.load(sys.argv[1])
    x, y, x_test, y_test = arrays["X"], arrays["y"].astype("int32"), arrays["X_test"], arrays["y_test"].astype("int32")
    train, val, _ = stratified_split(x, y, SplitConfig(train=0.6, val=0.2, test=0.2), 1, with_test=False)  # gg-train's own split

    def build(hp):
        inputs = keras.Input(shape=(x.shape[1],))
        h = keras.layers.Normalization(mean=x[train].mean(0), variance=x[train].var(0))(inputs)
        width = hp.Choice("width", [64, 128, 256])
        l2 = hp.Float("l2", 1e-6, 1e-1, sampling="log")
        rate = hp.Float("dropout", 0.0, 0.5)
        for units in (width, width // 2):
            h = keras.layers.Dense(units, activation="relu", kernel_regularizer=keras.regularizers.L2(l2))(h)
            h = keras.layers.Dropout(rate)(h)
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
        lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
        model.compile(optimizer=keras.optimizers.Adam(lr), loss="binary_crossentropy", metrics=["accuracy"])
        return model

    tuner = keras_tuner.Hyperband(build, objective="val_loss", max_epochs=27, factor=3, seed=0,
                                  directory=sys.argv[2], project_name="bench", overwrite=True)
    tuner.search(x[train], y[train], validation_data=(x[val], y[val]), batch_size=32, verbose=0)
    best = tuner.get_best_models(1)[0]
    accuracy = best.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
    print(json.dumps({"trials": len(tuner.oracle.trials), "test_accuracy": accuracy}))
""")


def _config(npz: Path, algorithm: str) -> dict:
    return {
        "name": "search", "seed": 1,
        "data": {"source": "npz", "path": str(npz), "split": {"train": 0.6, "val": 0.2, "test": 0.2}},
        "training": {"epochs": 27},
        "hparams": {"batch_size": 32},
        "search": {"samples": 4, "algorithm": algorithm},
        "scheduler": {"type": "asha", "grace_period": 3, "reduction_factor": 3},
        "diagnosis": {"learning_curve": False},  # KerasTuner draws no learning curve
    }


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="gg-bench-search-") as tmp:
        x, y = classification(6000, features=20, informative=6, noise=0.1, seed=6)
        npz = Path(tmp) / "search.npz"
        np.savez(npz, X=x[:4800], y=y[:4800], X_test=x[4800:], y_test=y[4800:])
        ours = {}
        for algorithm in ("random", "tpe"):
            wall, exp_dir, _ = launch(_config(npz, algorithm), Path(tmp) / "runs", f"search_{algorithm}")
            report = json.loads((exp_dir / "report.json").read_text(encoding="utf-8"))
            ours[algorithm] = (wall, report["best"]["test"]["accuracy"], report["trials"]["total"])
        with timed() as took:
            proc = subprocess.run([sys.executable, "-c", KERAS_TUNER, str(npz), str(Path(tmp) / "kt")], cwd=ROOT,
                                  env=quiet_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        theirs = json.loads(proc.stdout.strip().splitlines()[-1])
        for algorithm, (wall, accuracy, trials) in ours.items():
            print(f"  gg-train ({algorithm}): {trials} trials, held-out accuracy {accuracy:.3f}")
        print(f"  KerasTuner Hyperband: {theirs['trials']} trials, held-out accuracy {theirs['test_accuracy']:.3f}")
        return [figure(f"search wall, gg-train {algorithm} end to end (s)", wall, "KerasTuner Hyperband (s)", took(),
                       key="search" if algorithm == "random" else f"search_{algorithm}",
                       note=f"held-out accuracy {accuracy:.3f} against {theirs['test_accuracy']:.3f}, {trials} trials "
                            f"against {theirs['trials']}; {load_note()}")
                for algorithm, (wall, accuracy, trials) in ours.items()]
