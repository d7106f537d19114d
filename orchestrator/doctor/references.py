"""What this data allows: cheap scikit-learn models fitted on the training rows, scored on each split.

The majority class is the floor a model must clear; logistic regression (on standardized columns)
and gradient-boosted trees say what a linear and a flexible model reach without tuning. A Keras
model far below them on its own training rows underfits; one at their level on test is as good as
the data lets it be.
"""

from __future__ import annotations

import numpy as np

from orchestrator.doctor.scores import wilson

# OpenMP threads for the references. Gradient-boosted trees on 1,000 rows took 30 s with OpenMP's
# default threads on a busy 2-core machine (its workers spin-wait for cores others hold) and 0.6 s
# with one: the references are small fits, so one thread is the dependable choice.
REFERENCE_THREADS = 1
from orchestrator.doctor.thresholds import REFERENCE_TRAIN_ROWS, SEED


def matrix(x) -> np.ndarray:
    """The model's input as one (n, features) matrix: named inputs side by side."""
    if isinstance(x, dict):
        return np.concatenate([np.asarray(v, dtype=np.float32).reshape(len(v), -1) for v in x.values()], axis=1)
    return np.asarray(x, dtype=np.float32).reshape(len(x), -1)


def sample_rows(n: int, cap: int) -> np.ndarray:
    """A fixed uniform sample of at most `cap` row indices, in order."""
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(SEED).choice(n, cap, replace=False))


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
