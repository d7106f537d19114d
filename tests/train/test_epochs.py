"""The compiled epoch on its own: keyed row order, the objective's L2 penalty, and loss scaling
under mixed precision (the GPU path's optimizer, run here on the CPU)."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.models.mlp import build_model
from orchestrator.train.epochs import EpochRunner
from orchestrator.train.fitting import balanced_weights, compile_model, targets

rng = np.random.default_rng(0)
X = rng.normal(size=(96, 5)).astype(np.float32)
Y = (X[:, 0] - X[:, 2] > 0).astype(np.int32)


def runner(l2=0.0, seed=0):
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = build_model(hidden=[16], l2=l2, dropout=0.0, n_features=5, n_classes=2, mean=X.mean(0), variance=X.var(0))
    compile_model(model, n_classes=2, optimizer="sgd", learning_rate=0.1)
    data = (X[:64], targets(Y[:64], 2), np.ones(64, np.float32))
    val = (X[64:], targets(Y[64:], 2), balanced_weights(Y[64:], 2))
    return model, EpochRunner(model, tf.distribute.get_strategy(), n_classes=2, global_batch=16, train=data, val=val)


def test_the_row_order_is_keyed_on_seed_and_epoch():
    weights = {}
    for key in [(1, 0), (1, 0), (1, 1)]:
        model, epoch_pass = runner()
        epoch_pass.train(*key)
        weights.setdefault(key, []).append(model.get_weights())
    np.testing.assert_array_equal(weights[(1, 0)][0][1], weights[(1, 0)][1][1])
    assert not np.allclose(weights[(1, 0)][0][1], weights[(1, 1)][0][1])  # another epoch, other batches


def test_reported_losses_leave_the_l2_penalty_out_and_the_objective_keeps_it():
    model, epoch_pass = runner(l2=0.05)
    epoch_pass.train(0, 0)
    val, proba = epoch_pass.validate()
    kernels = [model.get_layer(name).kernel.numpy() for name in ("dense_0",)]
    penalty = sum(0.05 * float(np.sum(k ** 2)) for k in kernels)
    p = proba[np.arange(len(Y[64:])), Y[64:]]
    assert val["val_xent"] == pytest.approx(-np.mean(np.log(p)), rel=1e-4)
    assert val["val_objective"] - val["val_bxent"] == pytest.approx(penalty, rel=1e-4)  # Keras' val_loss, balanced weights


def test_mixed_precision_trains_through_the_loss_scaling_optimizer():
    import keras

    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        model, epoch_pass = runner()
        assert type(model.optimizer).__name__ == "LossScaleOptimizer"
        before = [w.copy() for w in model.get_weights()]
        metrics = [epoch_pass.train(0, e) for e in range(3)]
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert all(np.isfinite(m["xent"]) for m in metrics)
    assert max(float(np.abs(a - b).max()) for a, b in zip(before, model.get_weights())) > 1e-3
