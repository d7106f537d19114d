"""Images for the doctor: a folder of class sub-folders or an NPZ whose X is (n, H, W[, C]), matched
to a model that takes images, and the few statistics that describe an image for the causes that
compare populations.

Folders are read by `launch`'s own reader (`data.images.read_image_folder`), at the model's own
height and width when it declares them (what `image_dataset_from_directory(image_size=...)` does
for a user), pixels raw 0..255: what a user feeds a saved model. Gray images go to an RGB model as
three equal channels; colour images to a gray model are refused (which gray the user meant is theirs
to say). Class names are the sub-folder names, numbered as Keras numbers them (`folder_classes`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orchestrator.checkup.loading import UserModel
from orchestrator.errors import DataError

IMAGE_GRID = 4  # covariate_shift sees each image as a GRID x GRID thumbnail of mean brightness, beside its channel statistics


def image_shape(model: UserModel) -> tuple | None:
    """(H, W, C) of a model that takes one image input (None for unknown sizes), else None."""
    if len(model.inputs) != 1:
        return None
    shape = model.inputs[0]["shape"]
    if len(shape) == 4:
        return tuple(shape[1:])
    if len(shape) == 3:  # (H, W): a gray image without its channel axis (Flatten first, as in the MNIST tutorials)
        return (*shape[1:], None)
    return None


def read_image_folder_split(path: Path, model: UserModel, flag: str, sample: bool) -> tuple[np.ndarray, np.ndarray, str | None]:
    """(pixels (n, H, W, C) float32, class-folder name of each image, a note or None) at the model's size.
    With `sample` (the training folder), a folder larger than IMAGE_TRAIN_MB decoded is read as a fixed
    uniform sample that fits: the exam looks at a sample of the training rows anyway, the test folder is read whole."""
    from orchestrator.data.drift import sample_rows
    from orchestrator.data.image_files import is_on_disk
    from orchestrator.data.images import read_image_folder
    from orchestrator.checkup.thresholds import IMAGE_TRAIN_MB, SEED

    shape = image_shape(model)
    if shape is None:
        raise DataError(f"{flag} '{path}' is a folder of images, but the model takes inputs of shape {model.inputs[0]['shape']}",
                        "pass the tables or NPZ arrays the model was trained on")
    size = tuple(shape[:2]) if None not in shape[:2] else None
    x, labels, _ = read_image_folder(path, size, IMAGE_TRAIN_MB if sample else None)
    note = None
    if is_on_disk(x):
        rows = sample_rows(len(x), max(1, int(IMAGE_TRAIN_MB * 2**20 // np.prod(x.shape[1:]))), SEED)
        note = f"{flag} {path}: {len(rows)} of its {len(x)} images, a fixed uniform sample ({IMAGE_TRAIN_MB} MB decoded at most)"
        x, labels = np.asarray(x[rows]), labels[rows]
    return x.astype(np.float32), np.asarray(labels, dtype=object), note


def fit_to_model(x: np.ndarray, model: UserModel, where: str) -> np.ndarray:
    """`x` (n, H, W, C) shaped as the model's input, or one line naming both shapes."""
    shape = image_shape(model)
    if shape is None:
        raise DataError(f"{where} holds images {tuple(x.shape[1:])}, but the model takes inputs of shape {model.inputs[0]['shape']}",
                        "pass the tables or arrays the model was trained on")
    height, width, channels = shape
    if channels is None and x.shape[-1] == 1:
        x = x[..., 0]
    elif channels == 3 and x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    wanted = (height, width) if channels is None else shape
    if len(wanted) != x.ndim - 1 or any(w is not None and w != g for w, g in zip(wanted, x.shape[1:])):
        raise DataError(f"{where} holds images of shape {tuple(x.shape[1:])}, but the model takes {tuple(wanted)}",
                        "pass the images at the size and channels the model was trained with")
    return x


def folder_classes(labels: np.ndarray, model: UserModel, where: str) -> list[str]:
    """Class-folder names in unit order. Keras' `image_dataset_from_directory` numbers the sub-folders in
    the order of their names sorted as text ('10' before '2'), so the doctor does too. A folder may lack
    classes only when they are named 0..k-1 (the names then say the whole set); otherwise it must hold
    one sub-folder per output unit, or no unit can be told for sure."""
    names = sorted(set(labels.tolist()))
    units = max(model.output_units, 2)
    if all(n.isdigit() and n == str(int(n)) and int(n) < units for n in names):
        return sorted(str(u) for u in range(units))
    if len(names) != units:
        raise DataError(f"{where} has {len(names)} class folder(s) ({', '.join(names[:12])}) but the model has "
                        f"{model.output_units} output unit(s)", "pass the image folder the model was trained on, one sub-folder per class")
    return names


def described(x: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(n, features) simple statistics per image and their names: each channel's mean, standard deviation,
    minimum and maximum, and the mean brightness of each cell of an IMAGE_GRID x IMAGE_GRID grid.
    Brightness, contrast, exposure and framing are what differ between two sources of photos; a
    classifier on raw pixels would need far more rows than a test folder holds."""
    x = np.asarray(x, dtype=np.float32)
    x = x[..., np.newaxis] if x.ndim == 3 else x
    flat = x.reshape(len(x), -1, x.shape[-1])
    columns, names = [], []
    for stat in ("mean", "std", "min", "max"):
        columns.append(getattr(flat, stat)(axis=1))
        names += [f"{stat}_c{c}" for c in range(x.shape[-1])]
    gray = x.mean(axis=-1)
    rows = np.array_split(np.arange(gray.shape[1]), min(IMAGE_GRID, gray.shape[1]))
    cols = np.array_split(np.arange(gray.shape[2]), min(IMAGE_GRID, gray.shape[2]))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            columns.append(gray[:, r][:, :, c].reshape(len(x), -1).mean(axis=1, keepdims=True))
            names.append(f"brightness_r{i}c{j}")
    return np.concatenate(columns, axis=1), names
