"""Early stopping's rule, checked against Keras' own `EarlyStopping(restore_best_weights=True)` on
the same sequence of monitored values, and its state carried across a restart."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orchestrator.train.stopping import EarlyStopping

SEQUENCES = [
    [1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.9, 0.91, 0.92],
    [math.nan, 1.0, 1.1, 1.2, 1.3],
    [0.5, 0.5, 0.5, 0.5],
    [3.0, 2.0, 1.0, 0.5, 0.25],
]


def keras_decisions(values, patience):
    """(stop epoch or None, best epoch) from Keras' callback driven by hand."""
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.stop_training = False  # what `fit` sets before the first epoch
    callback = keras.callbacks.EarlyStopping(monitor="v", mode="min", patience=patience, restore_best_weights=True)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {"v": value})
        if model.stop_training:
            return epoch, callback.best_epoch
    return None, callback.best_epoch


@pytest.mark.parametrize("values", SEQUENCES)
@pytest.mark.parametrize("patience", [1, 2, 3])
def test_stops_and_keeps_the_best_epoch_where_keras_does(values, patience):
    ours, stopped = EarlyStopping(patience), None
    for epoch, value in enumerate(values):
        if ours.update(value, epoch, lambda: [np.full(1, epoch)]):
            stopped = epoch
            break
    assert (stopped, ours.best_epoch) == keras_decisions(values, patience)
    assert ours.best_weights[0][0] == ours.best_epoch  # the weights kept are the best epoch's


def test_a_resumed_state_continues_the_count():
    values = [1.0, 0.8, 0.9, 0.95, 0.97]
    whole = EarlyStopping(3)
    stops = [whole.update(v, e, lambda: [np.zeros(1)]) for e, v in enumerate(values)]
    first = EarlyStopping(3)
    for e, v in enumerate(values[:3]):
        first.update(v, e, lambda: [np.zeros(1)])
    resumed = EarlyStopping.resumed(3, first.saved(), first.best_weights)
    assert [resumed.update(v, e, lambda: [np.zeros(1)]) for e, v in enumerate(values[3:], start=3)] == stops[3:]
    assert (resumed.best, resumed.best_epoch) == (whole.best, whole.best_epoch)
