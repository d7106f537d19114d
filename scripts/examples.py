"""Write the README's example inputs into a folder (default ./examples), from data packages ship offline:

    python scripts/examples.py [FOLDER]

- penguins.csv     Palmer penguins (pip install palmerpenguins): text columns and empty cells
- penguins.parquet the same table as Parquet
- cancer.csv       scikit-learn's breast-cancer table (30 numeric columns, label 'target')
- wine.npz         scikit-learn's wine table as X (178, 13) and y: three classes
- digits/          scikit-learn's 8x8 digits as PNG files, one sub-folder per class
- digits.npz       the same images as X (n, 8, 8) and y
- sequential.keras an untrained Keras Sequential for cancer.csv (no dropout: gg-train adds it)
- functional.keras an untrained functional model for cancer.csv, with its own Dropout and L2
- penguins_2007_2008.csv, penguins_2009.csv  the penguins split by year: train on two years, evaluate on the third
- doctor/          a model trained on standardized cancer columns and saved without that step
                   (cancer.keras), with its train.csv and test.csv: what `gg-train doctor` finds
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def tables(out: Path) -> None:
    from sklearn.datasets import load_breast_cancer, load_wine

    load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_")).to_csv(out / "cancer.csv", index=False)
    x, y = load_wine(return_X_y=True)
    np.savez(out / "wine.npz", X=x, y=y)
    try:
        import palmerpenguins
    except ImportError:
        print("palmerpenguins is not installed (pip install palmerpenguins): penguins.csv skipped")
        return
    penguins = palmerpenguins.load_penguins()
    penguins.to_csv(out / "penguins.csv", index=False)
    penguins.to_parquet(out / "penguins.parquet", index=False)
    penguins[penguins.year < 2009].to_csv(out / "penguins_2007_2008.csv", index=False)
    penguins[penguins.year == 2009].to_csv(out / "penguins_2009.csv", index=False)


def images(out: Path) -> None:
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = (digits.images * 255 / 16).round().astype(np.uint8)
    for i, (image, target) in enumerate(zip(pixels, digits.target)):
        folder = out / "digits" / str(target)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image, mode="L").save(folder / f"{i:04d}.png")
    np.savez(out / "digits.npz", X=pixels, y=digits.target)


def saved_models(out: Path) -> None:
    from orchestrator.train.distribute import prepare_driver

    prepare_driver()  # TensorFlow's start-up chatter muted, as gg-train mutes it
    import keras

    sequential = keras.Sequential([keras.Input((30,)), keras.layers.Dense(64, activation="relu"),
                                   keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    sequential.save(out / "sequential.keras")
    inputs = keras.Input((30,))
    x = keras.layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3), name="wide")(inputs)
    x = keras.layers.Dropout(0.5, name="drop")(x)
    keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="probs")(x)).save(out / "functional.keras")


def doctor_case(out: Path) -> None:
    """The commonest cause the doctor finds: columns standardized in pandas before `fit`, the model saved
    without that step, so it is fed raw columns at test time."""
    import keras
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    table = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
    train, test = train_test_split(table, test_size=0.4, random_state=0, stratify=table.target)
    folder = out / "doctor"
    folder.mkdir(exist_ok=True)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    features = train.drop(columns="target")
    scaled = ((features - features.mean()) / features.std()).to_numpy("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((features.shape[1],)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(scaled, train.target.to_numpy(), epochs=30, verbose=0)
    model.save(folder / "cancer.keras")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tables(out)
    images(out)
    saved_models(out)
    doctor_case(out)
    print(f"examples written to {out}: " + ", ".join(sorted(p.name for p in out.iterdir())))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "examples"))
