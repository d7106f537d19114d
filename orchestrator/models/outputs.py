"""What a model's output means: class probabilities, one column per class.

A binary model ends in one sigmoid unit (P(class 1)), a multi-class one in K softmax units. Every
consumer that compares or scores outputs (the evaluation, the export proof, scoring new data)
widens them here, the one place that knows the convention.
"""

from __future__ import annotations

import numpy as np


def class_probabilities(raw: np.ndarray) -> np.ndarray:
    """(n, K) probabilities from a model's raw output: a single sigmoid column becomes [1 − p, p]."""
    p = np.asarray(raw, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = np.hstack([1.0 - p, p])
    return p


def predict_proba(model, x, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (n, K) in inference mode: dropout off, whatever the variant. Images kept
    on disk (`data.image_files`) are decoded batch by batch; named raw columns (a dict, text
    included, which `predict` refuses as numpy strings) go in as tensors, batch by batch."""
    from orchestrator.data.image_files import is_on_disk

    if is_on_disk(x):
        return class_probabilities(model.predict(x.dataset(batch_size), verbose=0))
    if isinstance(x, dict):
        import tensorflow as tf

        n = len(next(iter(x.values())))
        parts = [np.asarray(model({k: tf.constant(v[s:s + batch_size]) for k, v in x.items()}, training=False))
                 for s in range(0, n, batch_size)]
        return class_probabilities(np.concatenate(parts))
    return class_probabilities(model.predict(x, batch_size=batch_size, verbose=0))
