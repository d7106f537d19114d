"""What this data allows: cheap scikit-learn models fitted on the training rows, scored on each split.

The majority class is the floor a model must clear; logistic regression (on standardized columns)
and gradient-boosted trees say what a linear and a flexible model reach without tuning. A Keras
model far below them on its own training rows underfits; one at their level on test is as good as
the data lets it be.
"""

from __future__ import annotations

import numpy as np

from orchestrator.doctor.scores import wilson
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


def _score(model, x: np.ndarray, y: np.ndarray) -> dict:
    correct = int(np.sum(model.predict(x) == y))
    return {"accuracy": correct / len(y), "accuracy_interval": wilson(correct, len(y)), "n": int(len(y))}


def reference_scores(splits: dict) -> list[dict]:
    """[{name, train, val, test}] for each reference, or [] without training rows (or with one class)."""
    if "train" not in splits or len(np.unique(splits["train"].y)) < 2:
        return []
    train = splits["train"]
    rows = sample_rows(len(train.y), REFERENCE_TRAIN_ROWS)
    x_fit, y_fit = matrix(train.x)[rows], train.y[rows]
    out = []
    for name, model in _models().items():
        model.fit(x_fit, y_fit)
        entry = {"name": name}
        for split in ("train", "val", "test"):
            if split in splits:
                entry[split] = _score(model, matrix(splits[split].x), splits[split].y)
        out.append(entry)
    return out


def best_test_accuracy(references: list[dict]) -> float | None:
    return max((r["test"]["accuracy"] for r in references if "test" in r), default=None)
