"""What this data allows: cheap scikit-learn models fitted on the training rows, scored on each split.

The majority class is the floor a model must clear; logistic regression (on standardized columns)
and gradient-boosted trees say what a linear and a flexible model reach without tuning. A Keras
model far below them on its own training rows underfits; one at their level on test is as good as
the data lets it be. For images, trees on raw pixels say little and cost much: the majority, and
logistic regression on the flattened pixels when the images are small (`IMAGE_REFERENCE_PIXELS`).
"""

from __future__ import annotations

import numpy as np

from orchestrator.data.drift import FIT_THREADS as REFERENCE_THREADS  # one OpenMP thread: why in data.drift
from orchestrator.data.drift import sample_rows
from orchestrator.doctor.scores import wilson

from orchestrator.doctor.thresholds import IMAGE_REFERENCE_PIXELS, IMAGE_REFERENCE_ROWS, REFERENCE_TRAIN_ROWS, SEED


def matrix(x) -> np.ndarray:
    """The model's input as one (n, features) matrix: named inputs side by side."""
    if isinstance(x, dict):
        return np.concatenate([np.asarray(v, dtype=np.float32).reshape(len(v), -1) for v in x.values()], axis=1)
    return np.asarray(x, dtype=np.float32).reshape(len(x), -1)


def _models(width: int, images: bool):
    """The references for this data: all three for tables; for images the majority, and logistic
    regression when an image has at most IMAGE_REFERENCE_PIXELS values."""
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    models = {"majority": DummyClassifier(strategy="most_frequent"),
              "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
              "gradient_boosting": HistGradientBoostingClassifier(random_state=SEED)}
    if images:
        del models["gradient_boosting"]
        if width > IMAGE_REFERENCE_PIXELS:
            del models["logistic_regression"]
    return models


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


def reference_scores(splits: dict) -> tuple[list[dict], dict[str, np.ndarray]]:
    """[{name, train, val, test}] for each reference and its test predictions (so a cause that corrects
    the test labels can score them again), or nothing without training rows of two classes."""
    if "train" not in splits or len(np.unique(splits["train"].y)) < 2:
        return [], {}
    train = splits["train"]
    images = np.ndim(train.x) > 2
    rows = sample_rows(len(train.y), IMAGE_REFERENCE_ROWS if images else REFERENCE_TRAIN_ROWS)
    x_fit, y_fit = matrix(train.x)[rows], train.y[rows]
    from threadpoolctl import threadpool_limits

    out, test_predictions = [], {}
    for name, model in _models(x_fit.shape[1], images).items():
        with threadpool_limits(REFERENCE_THREADS):
            model.fit(x_fit, y_fit)
            predicted = {split: model.predict(matrix(splits[split].x)) for split in ("train", "val", "test") if split in splits}
        out.append({"name": name, **{split: score(p, splits[split].y) for split, p in predicted.items()}})
        test_predictions[name] = predicted["test"]
    return out, test_predictions
