"""What this data allows: cheap scikit-learn models fitted on the training rows, scored on each split.

The majority class is the floor a model must clear; logistic regression (on standardized columns)
and gradient-boosted trees say what a linear and a flexible model reach without tuning. A Keras
model far below them on its own training rows underfits; one at their level on test is as good as
the data lets it be.
"""

from __future__ import annotations

import numpy as np

from orchestrator.data.drift import FIT_THREADS as REFERENCE_THREADS  # one OpenMP thread: why in data.drift
from orchestrator.data.drift import sample_rows
from orchestrator.doctor.scores import wilson

from orchestrator.doctor.thresholds import REFERENCE_TRAIN_ROWS, SEED


def matrix(x) -> np.ndarray:
    """The model's input as one (n, features) matrix: named inputs side by side."""
    if isinstance(x, dict):
        return np.concatenate([np.asarray(v, dtype=np.float32).reshape(len(v), -1) for v in x.values()], axis=1)
    return np.asarray(x, dtype=np.float32).reshape(len(x), -1)


def _models():
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {"majority": DummyClassifier(strategy="most_frequent"),
            "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
            "gradient_boosting": HistGradientBoostingClassifier(random_state=SEED)}


def score(predicted: np.ndarray, y: np.ndarray) -> dict:
    correct = int(np.sum(predicted == y))
    return {"accuracy": correct / len(y), "accuracy_interval": wilson(correct, len(y)), "n": int(len(y))}


def reference_scores(splits: dict) -> tuple[list[dict], dict[str, np.ndarray]]:
    """[{name, train, val, test}] for each reference and its test predictions (so a cause that corrects
    the test labels can score them again), or nothing without training rows of two classes."""
    if "train" not in splits or len(np.unique(splits["train"].y)) < 2:
        return [], {}
    train = splits["train"]
    rows = sample_rows(len(train.y), REFERENCE_TRAIN_ROWS)
    x_fit, y_fit = matrix(train.x)[rows], train.y[rows]
    from threadpoolctl import threadpool_limits

    out, test_predictions = [], {}
    for name, model in _models().items():
        with threadpool_limits(REFERENCE_THREADS):
            model.fit(x_fit, y_fit)
            predicted = {split: model.predict(matrix(splits[split].x)) for split in ("train", "val", "test") if split in splits}
        out.append({"name": name, **{split: score(p, splits[split].y) for split, p in predicted.items()}})
        test_predictions[name] = predicted["test"]
    return out, test_predictions
