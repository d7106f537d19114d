"""Planted image cases for the doctor: scikit-learn's handwritten digits (1,797 real 8 x 8 scans that
ship with it, offline) written as PNG folders, one sub-folder per digit, dark ink on white paper as a
scanner gives them, and a small CNN trained on them the way the Keras examples train one (Conv2D,
BatchNormalization, ReLU blocks; Adam; a few epochs).

Why on white paper: scaled by 255, an image's mean moves with it, and only then does the scale
reach the predictions. A ReLU network fed black-background digits 255 times too bright nearly keeps
its argmax (it is almost positively homogeneous), so the mismatch would cost little accuracy there.

`digits_divided_by_255`: the user divided the pixels by 255 in NumPy before `fit` and saved the model
without that step, so the folders, fed as they are, reach it raw. `digits_healthy`: the same network
with a `Rescaling(1/255)` layer in front, trained on the raw pixels: the recommended way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.checkup.cases import _fit, _save

N_TRAIN_IMAGES = 1000  # the other 797 scans are the test folder


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """(uint8 (1797, 8, 8, 1): white paper 255, the ink's 0..16 darkening it to 0; labels), shuffled with a fixed seed."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (255 - np.round(digits.images * 255 / 16)).astype(np.uint8)[..., np.newaxis]
    order = np.random.default_rng(0).permutation(len(x))
    return x[order], digits.target[order]


def write_folder(folder: Path, x: np.ndarray, y: np.ndarray) -> Path:
    """folder/<digit>/<i>.png, gray PNGs as a user's image folder holds them."""
    from PIL import Image

    for i, (image, label) in enumerate(zip(x, y)):
        (folder / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image[..., 0], mode="L").save(folder / str(label) / f"{i:04d}.png")
    return folder


def _cnn(rescale: bool):
    import keras

    layers = keras.layers
    return keras.Sequential([keras.Input((8, 8, 1)), *([layers.Rescaling(1 / 255)] if rescale else []),
                             layers.Conv2D(16, 3, padding="same"), layers.BatchNormalization(), layers.Activation("relu"),
                             layers.Conv2D(16, 3, padding="same"), layers.BatchNormalization(), layers.Activation("relu"),
                             layers.Flatten(), layers.Dense(10, activation="softmax")])


def _case(folder: Path, rescale: bool) -> dict:
    x, y = _digits()
    train, test = slice(None, N_TRAIN_IMAGES), slice(N_TRAIN_IMAGES, None)
    fed = x.astype(np.float32) if rescale else x.astype(np.float32) / 255
    model = _fit(_cnn(rescale), fed[train], y[train], epochs=10, lr=0.001)
    return {"model": _save(model, folder), "train": write_folder(folder / "train", x[train], y[train]),
            "test": write_folder(folder / "test", x[test], y[test]), "arrays": (x, y)}


def digits_divided_by_255(folder: Path) -> dict:
    return _case(folder, rescale=False)


def digits_healthy(folder: Path) -> dict:
    return _case(folder, rescale=True)
