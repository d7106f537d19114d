"""Readers for image data: a folder of class sub-folders, and the pixel array of an NPZ.

A folder `path/<class>/<file>.png` is the layout people already have (Keras'
`image_dataset_from_directory`, most Kaggle downloads), so it is read as it is: the sub-folder names
are the labels. Image headers are read with Pillow first (cheap: no pixels are decoded), which
settles the common size and the channel count before any decoding, and lets a file Pillow cannot
even identify be named right away. Decoding and resizing then run in a parallel, order-preserving
tf.data pipeline into one uint8 array, so tens of thousands of files take seconds, not minutes.

Pixels stay raw (0..255): the CNN rescales inside the model, so the saved model takes the same
pixels a user would feed it. TensorFlow is imported inside the functions: this module is imported
on paths (config validation, the CLI) that must not pay for loading it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

from orchestrator.data.image_files import ImageFiles, load_fn
from orchestrator.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
# Pillow modes without colour: bilevel, 8-bit, 32-bit int and float gray, 16-bit gray, gray+alpha.
GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
BATCH = 256  # images per tf.data batch: large enough to amortize the per-batch overhead, small in memory


def _visible(p: Path, root: Path) -> bool:
    """Hidden files and folders (.DS_Store, .ipynb_checkpoints, ._ files) are never data."""
    return not any(part.startswith(".") for part in p.relative_to(root).parts)


def _list_images(path: Path) -> tuple[list[str], list[str]]:
    """(relative paths sorted, class name of each): files anywhere below a class folder count."""
    if not path.exists():
        raise DataError(f"image folder '{path}' not found", "pass an existing folder with one sub-folder per class")
    if not path.is_dir():
        raise DataError(f"image path '{path}' is not a folder", "pass a folder with one sub-folder per class")
    classes = sorted(p.name for p in path.iterdir() if p.is_dir() and _visible(p, path))
    files: list[str] = []
    for name in classes:
        found = [p for p in (path / name).rglob("*")
                 if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and _visible(p, path)]
        if not found:
            raise DataError(f"class folder '{path / name}' has no PNG or JPEG images",
                            "add images to it or remove the folder")
        files += [p.relative_to(path).as_posix() for p in found]
    if len(classes) < 2:
        raise DataError(f"image folder '{path}' has {len(classes)} class folder(s) with images; at least 2 are needed",
                        "put each class's images in its own sub-folder, named after the class")
    files.sort()
    return files, [f.split("/", 1)[0] for f in files]


def _headers(path: Path, files: list[str]) -> tuple[list[tuple[int, int]], list[str]]:
    """((height, width), Pillow mode) of every file from its header alone."""
    from PIL import Image, UnidentifiedImageError

    sizes, modes = [], []
    for f in files:
        try:
            with Image.open(path / f) as im:
                sizes.append((int(im.size[1]), int(im.size[0])))
                modes.append(im.mode)
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            detail = _one_line(str(exc).replace(f"'{path / f}'", "").replace(str(path / f), "")) or type(exc).__name__
            raise DataError(f"cannot read image '{path / f}': {detail}", "replace or delete the file") from None
    return sizes, modes


def _one_line(text: str) -> str:
    """An error's first line without TensorFlow's '{{function_node ...}}' prefix and '[Op:...] name:' suffix."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"\{\{[^}]*\}\}|\[Op:[^\]]*\]", "", line).strip()
    return re.sub(r"\s*name:\s*$", "", line)


def _first_undecodable(path: Path, files: list[str]) -> tuple[str, str] | None:
    """(file, reason) of the first file TensorFlow cannot decode, found one by one after the parallel
    pipeline failed: the pipeline's own error does not say which file it was."""
    import tensorflow as tf

    for f in files:
        try:
            tf.io.decode_image(tf.io.read_file(str(path / f)), channels=0, expand_animations=False)
        except tf.errors.OpError as exc:
            return f, _one_line(exc.message)
    return None


def _decode_all(path: Path, files: list[str], size: tuple[int, int], channels: int) -> np.ndarray:
    """Every file decoded in parallel, in file order, into one (n, H, W, C) uint8 array."""
    import tensorflow as tf

    out = np.empty((len(files), *size, channels), dtype=np.uint8)
    ds = tf.data.Dataset.from_tensor_slices([str(path / f) for f in files])
    ds = ds.map(load_fn(size, channels), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)
    start = 0
    try:
        for batch in ds.as_numpy_iterator():
            out[start:start + len(batch)] = batch
            start += len(batch)
    except tf.errors.OpError as exc:
        bad = _first_undecodable(path, files)
        name, detail = (f"'{path / bad[0]}'", bad[1]) if bad else (f"an image in '{path}'", _one_line(exc.message))
        raise DataError(f"cannot decode {name}: {detail or type(exc).__name__}", "replace or delete the file") from None
    return out


def read_image_folder(path: Path, image_size: tuple[int, int] | None = None,
                      memory_mb: float | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(x uint8 (n, H, W, C), labels: the class-folder name of each image, files: relative paths, sorted).

    `path` holds one sub-folder per class with PNG/JPEG files (suffixes case-insensitive, other and
    hidden files ignored). The size is `image_size` (height, width) if given, else the most common
    size among the images, so one odd photo does not resize all the others. Channels are 1 when
    every image is grayscale, else 3 (grayscale becomes RGB, RGBA drops alpha): colour that a single
    image lacks is cheap to add, colour that most images carry is information to keep."""
    path = Path(path)
    files, labels = _list_images(path)
    sizes, modes = _headers(path, files)
    if image_size is None:
        size = Counter(sizes).most_common(1)[0][0]
    else:
        size = (int(image_size[0]), int(image_size[1]))
        if min(size) < 1:
            raise DataError(f"image size {image_size} is not positive", "give a height and width of at least 1 pixel")
    channels = 1 if all(m in GRAY_MODES for m in modes) else 3
    if memory_mb is not None and len(files) * size[0] * size[1] * channels > memory_mb * 2**20:

        return ImageFiles(str(path.resolve()), tuple(files), size, channels), np.asarray(labels, dtype=str), files
    x = _decode_all(path, files, size, channels)
    return x, np.asarray(labels, dtype=str), files


def read_image_npz_x(x: np.ndarray) -> np.ndarray:
    """An NPZ 'X' of images as float32 (n, H, W, C) raw pixel values: (n, H, W) gets C=1.

    Only 1 (gray), 3 (RGB) and 4 (RGBA) channels are images; any other shape is more likely a table
    or a channels-first array, which a CNN would silently misread, so it is refused."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4 or x.shape[-1] not in (1, 3, 4):
        raise DataError(f"image array 'X' has shape {tuple(x.shape)}; images need (n, H, W) or (n, H, W, C) with C 1, 3 or 4",
                        "save images channels-last, e.g. np.moveaxis(X, 1, -1) for (n, C, H, W)")
    if not any(np.issubdtype(x.dtype, t) for t in (np.integer, np.floating, np.bool_)):
        raise DataError(f"image array 'X' has dtype {x.dtype}, not numbers", "save the pixels as a numeric array")
    return x.astype(np.float32)
