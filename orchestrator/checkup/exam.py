"""What every cause looks at: the model, the matched splits, and the corrections confirmed so far.

Causes run in order (`causes.run_all`): the mechanical ones (output activation, input transform,
BatchNormalization statistics) each add their correction here once confirmed, so the causes after
them, and the train/test comparisons of overfitting and underfitting, see the model as it would be
with those fixed: a model fed unscaled rows is not called an underfitter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from orchestrator.data.drift import sample_rows
from orchestrator.checkup import scores
from orchestrator.checkup.loading import UserModel
from orchestrator.checkup.tables import DoctorData
from orchestrator.checkup.thresholds import EXAMINED_TRAIN_ROWS, MECHANICAL_GAIN

VERDICTS = ("confirmed", "ruled_out", "cannot_tell", "not_applicable")


@dataclass
class Exam:
    model: UserModel
    data: DoctorData
    reference_predictions: dict[str, np.ndarray]  # each reference model's test predictions (`references`)
    transform: Callable | None = None  # confirmed input transform, fitted on training rows
    keras_model: object | None = None  # the model with re-estimated BatchNormalization statistics
    read: Callable = scores.as_read  # how outputs become class scores (`scores.natural` once output_scale is confirmed)
    test_units: np.ndarray | None = None  # test label -> unit the model means, once label_mapping is confirmed
    _cache: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.data.classes)

    def has(self, split: str) -> bool:
        return split in self.data.splits

    def y(self, split: str) -> np.ndarray:
        return self.data.splits[split].y

    def x(self, split: str):
        x = self.data.splits[split].x
        if split != "train":
            return x
        rows = sample_rows(len(self.data.splits[split].y), EXAMINED_TRAIN_ROWS)
        return {k: v[rows] for k, v in x.items()} if isinstance(x, dict) else x[rows]

    def y_examined(self, split: str) -> np.ndarray:
        """Labels of `x(split)`: the training sample, or the whole split."""
        y = self.y(split)
        if split == "test" and self.test_units is not None:
            return self.test_units[y]
        return y[sample_rows(len(y), EXAMINED_TRAIN_ROWS)] if split == "train" else y

    def raw(self, split: str, transform="current", keras_model="current", training: bool = False) -> np.ndarray:
        """Outputs on `split` (the training sample for "train") with the given corrections ("current": those confirmed)."""
        transform = self.transform if transform == "current" else transform
        keras_model = self.keras_model if keras_model == "current" else keras_model
        key = (split, id(transform), id(keras_model), training)
        if key not in self._cache:
            x = self.x(split)
            x = transform(x) if transform is not None else x
            self._cache[key] = self.model.outputs(x, training=training, keras_model=keras_model)
        return self._cache[key]

    def best_reference_accuracy(self) -> float | None:
        """The best reference model's test accuracy, against the test labels as corrected so far."""
        y = self.y_examined("test")
        return max((float(np.mean(p == y)) for p in self.reference_predictions.values()), default=None)

    def accuracy(self, split: str, read: Callable | None = None, **corrections) -> float:
        return scores.accuracy(self.y_examined(split), (read or self.read)(self.raw(split, **corrections)))


def clear_gain(gain: float, n: int, accuracy: float) -> bool:
    """A gain in accuracy large enough to be a cause (`MECHANICAL_GAIN`) and beyond chance at n rows."""
    return gain >= MECHANICAL_GAIN and gain > scores.half_width(n, accuracy)


def finding(cause: str, verdict: str, summary: str, rule: str, fix: str = "", regained: float = 0.0, **evidence) -> dict:
    """One entry of doctor.json's `findings`; `regained` is the test accuracy its correction wins back."""
    assert verdict in VERDICTS, verdict
    numbers = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in evidence.items()}
    return {"cause": cause, "verdict": verdict, "summary": summary, "evidence": {**numbers, "regained_test_accuracy": round(regained, 4)},
            "rule": rule, "fix": fix}


def decided(cause: str, confirmed: bool, rule: str, numbers: dict, *, yes: str, no: str, fix: str, regained: float = 0.0) -> dict:
    """The last step of most causes: `confirmed` with its fix and the accuracy regained, else `ruled_out`."""
    if not confirmed:
        return finding(cause, "ruled_out", no, rule, **numbers)
    return finding(cause, "confirmed", yes, rule, fix=fix, regained=regained, **numbers)
