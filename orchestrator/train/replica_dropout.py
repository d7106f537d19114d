"""Dropout masks that do not depend on how a global batch is split over replicas.

Keras' Dropout draws its mask with a stateless op keyed on the layer's seed generator, over the
shape of the rows it is given. One replica draws one mask for the whole global batch; under a
`MirroredStrategy` each replica draws its own over its slice, with the *same* seed, so every
replica's rows get the first rows' mask: the same model trained on 2 replicas and on 1 ended
apart (validation accuracy 0.569 vs 0.576 after 2 epochs, issue 26). Here, while a replica runs
its slice of a global batch (`rows_of_global_batch`), a Dropout draws the mask of the whole
global batch, the very one a single replica draws, and keeps its own rows of it: K replicas
then train exactly like one. The cost is one mask of the global batch per replica, a small
elementwise op next to the layers around it.

Keras calls the backend's `dropout` through its module (`keras.src.backend.tensorflow.random`),
so that is where the global-batch draw goes in (`install`, once per process); outside a
replica's slice, the call passes straight through to Keras'. `tests/train/test_distribute.py`
proves the parity, so a Keras that moves this function fails there, not silently.
"""

from __future__ import annotations

import contextlib
import threading

_SLICE = threading.local()  # MirroredStrategy runs each replica's step in a thread of its own


@contextlib.contextmanager
def rows_of_global_batch(start, global_rows):
    """Within: Dropout masks are those of a `global_rows`-row batch, of which these rows start at `start`."""
    _SLICE.rows = (start, global_rows)
    try:
        yield
    finally:
        _SLICE.rows = None


def _on_global_batch(inputs, noise_shape, draw):
    """`draw(inputs, noise_shape)` over the whole global batch when inside a replica's slice, this
    replica's rows of it kept; straight through otherwise."""
    rows = getattr(_SLICE, "rows", None)
    if rows is None:
        return draw(inputs, noise_shape)
    import tensorflow as tf

    start, global_rows = rows
    n = tf.shape(inputs)[0]
    padding = [[start, global_rows - start - n]] + [[0, 0]] * (len(inputs.shape) - 1)
    if noise_shape is not None:  # SpatialDropout: a mask per row and channel, built from the slice's rows
        noise_shape = (global_rows, *tuple(noise_shape)[1:])
    return draw(tf.pad(inputs, padding), noise_shape)[start:start + n]


def _global_batch_dropout(keras_dropout):
    def dropout(inputs, rate, noise_shape=None, seed=None):
        return _on_global_batch(inputs, noise_shape, lambda x, shape: keras_dropout(x, rate, noise_shape=shape, seed=seed))

    dropout.keras_dropout = keras_dropout
    return dropout


def variable_rate_dropout(inputs, rate, stream):
    """Dropout at a rate held in a variable (`nets.TunableNet`), its mask keyed on `stream` (a Keras
    SeedGenerator) as Keras keys its own, over the global batch under replicas like Keras' own."""
    import tensorflow as tf

    def draw(x, noise_shape):
        seed = tf.cast(tf.math.floormod(stream.next(), tf.int32.max - 1), tf.int32)  # as Keras casts its seeds
        return tf.nn.experimental.stateless_dropout(x, rate=tf.cast(rate, x.dtype), noise_shape=noise_shape, seed=seed)

    return _on_global_batch(inputs, None, draw)


def install() -> None:
    """Route Keras' TensorFlow-backend dropout through the global-batch draw (idempotent)."""
    from keras.src.backend.tensorflow import random

    if not hasattr(random.dropout, "keras_dropout"):
        random.dropout = _global_batch_dropout(random.dropout)
