"""Images that stay on disk: a large image folder is not decoded into memory (nor shipped through
Ray's object store to every trial); trials and the driver decode it batch by batch, every epoch,
with the decoding rule (`load_fn`) the in-memory path (`images`) uses too.

An `ImageFiles` looks like the (n, H, W, C) uint8 array it stands for where gg-train needs it to:
`shape`, `ndim`, `len`, indexing by row arrays (a subset, still on disk), `np.asarray` (decodes
all: only for small subsets). It is a few kilobytes of paths, so it travels to trials as is, and
each worker reads the files from the path, as on a cluster with shared storage.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np

BATCH = 256  # images decoded per tf.data batch


@dataclass(frozen=True)
class ImageFiles:
    root: str
    files: tuple[str, ...]
    size: tuple[int, int]
    channels: int

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self.files), *self.size, self.channels)

    @property
    def ndim(self) -> int:
        return 4

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, rows) -> "ImageFiles":
        """The images at `rows` (an index array or a slice), still on disk."""
        picked = np.asarray(self.files, dtype=object)[rows]
        return ImageFiles(self.root, tuple(str(f) for f in np.atleast_1d(picked)), self.size, self.channels)

    def paths(self) -> list[str]:
        return [os.path.join(self.root, f) for f in self.files]

    def dataset(self, batch: int = BATCH):
        """A tf.data pipeline of uint8 image batches in row order, decoded in parallel and prefetched."""
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices(self.paths() or [""])
        if not self.files:
            ds = ds.take(0)
        ds = ds.map(load_fn(self.size, self.channels), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return ds.batch(batch).prefetch(tf.data.AUTOTUNE)

    def decoded(self) -> np.ndarray:
        """Every image of this (small) subset in memory, as the in-memory path would hold them."""
        out = np.empty(self.shape, dtype=np.uint8)
        start = 0
        for part in self.dataset().as_numpy_iterator():
            out[start:start + len(part)] = part
            start += len(part)
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        x = self.decoded()
        return x if dtype is None else x.astype(dtype)

    def digests(self) -> np.ndarray:
        """(n, 16) uint8: a BLAKE2b digest of each image's decoded pixels, batch by batch, so
        exact-duplicate checks never hold the folder in memory."""
        keys = [hashlib.blake2b(img.tobytes(), digest_size=16).digest()
                for part in self.dataset().as_numpy_iterator() for img in part]
        return np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16)

    def fingerprint(self, y: np.ndarray) -> str:
        """What identifies this split without decoding it: the files (names and sizes, not times, so
        a copied folder still resumes), the decoding (size, channels) and the labels; `files.array_hash` uses it."""
        h = hashlib.sha256(repr((self.size, self.channels)).encode())
        for path, name in zip(self.paths(), self.files):
            h.update(f"{name}\0{os.stat(path).st_size}\n".encode())
        h.update(np.ascontiguousarray(np.asarray(y)).tobytes())
        return h.hexdigest()[:16]


def is_on_disk(x) -> bool:
    return isinstance(x, ImageFiles)


def load_fn(size: tuple[int, int], channels: int):
    """The per-file tf.data map: decode, fix the channels, resize (antialiased only when shrinking), to uint8."""
    import tensorflow as tf

    height, width = size

    def load(filename):
        img = tf.io.decode_image(tf.io.read_file(filename), channels=0, expand_animations=False)
        c = tf.shape(img)[-1]
        if channels == 3:  # gray (+alpha) becomes RGB; RGBA drops alpha
            img = tf.cond(c < 3, lambda: tf.tile(img[..., :1], [1, 1, 3]), lambda: img[..., :3])
        else:
            img = img[..., :1]
        img = tf.cast(img, tf.float32)
        h, w = tf.shape(img)[0], tf.shape(img)[1]
        same = tf.logical_and(tf.equal(h, height), tf.equal(w, width))
        shrink = tf.logical_or(h > height, w > width)
        img = tf.cond(same, lambda: img, lambda: tf.cond(
            shrink, lambda: tf.image.resize(img, size, antialias=True), lambda: tf.image.resize(img, size)))
        img = tf.clip_by_value(tf.round(img), 0.0, 255.0)
        return tf.ensure_shape(tf.cast(img, tf.uint8), (height, width, channels))

    return load
