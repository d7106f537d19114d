"""What this data allows: the scikit-learn references (`results.references`, their one owner) fitted
on the training rows and scored on each split, with Wilson intervals.

The majority class is the floor a model must clear; logistic regression (on standardized columns)
and gradient-boosted trees say what a linear and a flexible model reach. A Keras model far below
them on its own training rows underfits; one at their level on test is as good as the data lets it
be. Given validation rows, their settings are chosen there, as `launch` chooses them. For images,
trees on raw pixels say little and cost much: the majority, and logistic regression on the flattened
pixels when the images are small (`IMAGE_REFERENCE_PIXELS`), fitted on at most `IMAGE_REFERENCE_ROWS`.
"""

from __future__ import annotations

import numpy as np

from orchestrator.data.drift import sample_rows
from orchestrator.checkup.scores import wilson
from orchestrator.checkup.thresholds import IMAGE_REFERENCE_PIXELS, IMAGE_REFERENCE_ROWS, SEED
from orchestrator.results.references import NAMES, fit_references, matrix

__all__ = ["matrix", "reference_scores", "reference_rows", "score"]


def score(predicted: np.ndarray, y: np.ndarray) -> dict:
    correct = int(np.sum(predicted == y))
    return {"accuracy": correct / len(y), "accuracy_interval": wilson(correct, len(y)), "n": int(len(y))}


def reference_rows(report: dict) -> list[tuple[str, dict]]:
    """(label, test scores) of each reference in doctor.json, and on the relabelled test file when
    label_mapping is confirmed: what the console, doctor.md and doctor.html list beside the model."""
    rows = []
    for ref in report["references"]:
        rows.append((f"{ref['name']} (reference, test)", ref["test"]))
        if "test_remapped" in ref:
            rows.append((f"{ref['name']} (reference, test relabelled)", ref["test_remapped"]))
    return rows


def _fitted_on(train) -> tuple[tuple[str, ...], object, np.ndarray]:
    """(reference names, training x, training y) for this data: tables as they are; images sampled,
    with logistic regression only when an image has at most IMAGE_REFERENCE_PIXELS values."""
    if np.ndim(train.x) <= 2:
        return NAMES, train.x, train.y
    rows = sample_rows(len(train.y), IMAGE_REFERENCE_ROWS, SEED)
    small = int(np.prod(np.shape(train.x)[1:])) <= IMAGE_REFERENCE_PIXELS
    return ("majority", "logistic_regression") if small else ("majority",), train.x[rows], train.y[rows]


def reference_scores(splits: dict) -> tuple[list[dict], dict[str, np.ndarray]]:
    """[{name, train, val, test}] for each reference and its test predictions (so a cause that corrects
    the test labels can score them again), or nothing without training rows of two classes."""
    if "train" not in splits or len(np.unique(splits["train"].y)) < 2:
        return [], {}
    train, val = splits["train"], splits.get("val")
    n_classes = int(max(np.max(s.y) for s in splits.values())) + 1
    names, x_fit, y_fit = _fitted_on(train)
    fitted = fit_references(x_fit, y_fit, n_classes, (val.x, val.y) if val is not None else None, names=names)
    out, test_predictions = [], {}
    for f in fitted:
        predicted = {split: f.model.predict(matrix(s.x)) for split, s in splits.items() if split in ("train", "val", "test")}
        out.append({"name": f.name, **{split: score(p, splits[split].y) for split, p in predicted.items()}})
        test_predictions[f.name] = predicted["test"]
    return out, test_predictions
