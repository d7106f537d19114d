"""How a trial compiles its model and feeds it labels: optimizer and loss, the label shape each
output expects, class weights, and the minority class's PR-AUC."""

from __future__ import annotations

import numpy as np


def compile_model(model, *, n_classes: int, optimizer: str, learning_rate: float) -> None:
    """Compile inside the strategy scope: the optimizer the compiled epoch steps with (wrapped for
    loss scaling under mixed_float16 by Keras) and the loss a loaded checkpoint keeps. The metrics
    a trial reports are summed in `epochs.EpochRunner`, not Keras metric objects."""
    import keras

    opt = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[optimizer]
    loss = keras.losses.BinaryCrossentropy() if n_classes == 2 else keras.losses.SparseCategoricalCrossentropy()
    model.compile(optimizer=opt(learning_rate=learning_rate), loss=loss)


def targets(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels in the shape the loss expects: (n, 1) floats for a sigmoid output, (n,) ints otherwise."""
    return y.reshape(-1, 1).astype(np.float32) if n_classes == 2 else y.astype(np.int32)


def balanced_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """One weight per row, n / (K × count of its class): the weighted mean of a per-row loss is then
    the mean over classes of each class's mean loss, the class-balanced loss."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    present = int((counts > 0).sum())
    per_class = np.divide(len(y), present * counts, out=np.zeros_like(counts), where=counts > 0)
    return per_class[y].astype(np.float32)


def minority_pr_auc(proba: np.ndarray, y_val: np.ndarray, positive: int) -> float:
    """Average precision (PR-AUC) of the minority class on validation, from inference-mode class
    probabilities (n, K): the selection metric of two-class imbalanced experiments. It scores how
    well the model ranks the rare class above the rest, whatever the threshold, so a model that
    never crosses 0.5 for it but ranks it well is not thrown away; the threshold is tuned afterwards
    (`results.threshold`)."""
    from sklearn.metrics import average_precision_score

    hits = np.asarray(y_val) == positive
    if not hits.any():
        return float("nan")
    return float(average_precision_score(hits, np.asarray(proba)[:, positive]))


def class_weights(y: np.ndarray, n_classes: int, mode: str) -> dict[int, float] | None:
    """'balanced': n / (K × count_k) per class, as scikit-learn defines it; 'none': no weighting."""
    if mode != "balanced":
        return None
    counts = np.bincount(y, minlength=n_classes)
    return {k: float(len(y) / (n_classes * c)) if c else 0.0 for k, c in enumerate(counts)}
