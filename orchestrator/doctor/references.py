"""What this data allows: the scikit-learn references (`results.references`, their one owner) fitted
on the training rows and scored on each split, with Wilson intervals.

The majority class is the floor a model must clear; logistic regression (on standardized columns)
and gradient-boosted trees say what a linear and a flexible model reach. A Keras model far below
them on its own training rows underfits; one at their level on test is as good as the data lets it
be. Given validation rows, their settings are chosen there, as `launch` chooses them.
"""

from __future__ import annotations

import numpy as np

from orchestrator.doctor.scores import wilson
from orchestrator.results.references import fit_references, matrix

__all__ = ["matrix", "reference_scores", "score"]


def score(predicted: np.ndarray, y: np.ndarray) -> dict:
    correct = int(np.sum(predicted == y))
    return {"accuracy": correct / len(y), "accuracy_interval": wilson(correct, len(y)), "n": int(len(y))}


def reference_scores(splits: dict) -> tuple[list[dict], dict[str, np.ndarray]]:
    """[{name, train, val, test}] for each reference and its test predictions (so a cause that corrects
    the test labels can score them again), or nothing without training rows of two classes."""
    if "train" not in splits or len(np.unique(splits["train"].y)) < 2:
        return [], {}
    train, val = splits["train"], splits.get("val")
    n_classes = int(max(np.max(s.y) for s in splits.values())) + 1
    fitted = fit_references(train.x, train.y, n_classes, (val.x, val.y) if val is not None else None)
    out, test_predictions = [], {}
    for f in fitted:
        predicted = {split: f.model.predict(matrix(s.x)) for split, s in splits.items() if split in ("train", "val", "test")}
        out.append({"name": f.name, **{split: score(p, splits[split].y) for split, p in predicted.items()}})
        test_predictions[f.name] = predicted["test"]
    return out, test_predictions
