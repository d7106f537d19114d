"""A worker's engine for an MLP architecture (`train.engines`): re-armed for a trial it trains that
trial as if it were new, under mixed precision too (the loss scale and the optimizer's moments
reset), a dropout rate of 0 is no dropout, and the worker keeps a bounded number of them."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.train import engines
from orchestrator.train.build import build_for_trial
from orchestrator.train.spec import TrialSetup
from tests.train.helpers import spec


@pytest.fixture()
def mixed_precision():
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")  # on CPU too: float16 layers, a loss-scaled Adam
    yield
    keras.mixed_precision.set_global_policy("float32")


def _rows(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = (x[:, 0] + rng.normal(scale=0.5, size=n) > 0).astype(np.int32)
    return x, y


def _train(engine, trial, setup, x, y, epochs: int = 3) -> list[dict]:
    engines.seed_keeping_traces(trial.seed)
    engine.start(trial, build_for_trial(trial, setup, (x.shape[1],)))
    targets = y.reshape(-1, 1).astype(np.float32)
    runner = engine.runner.bind((x[:150], targets[:150], np.ones(150, np.float32)), (x[150:], targets[150:], np.ones(50, np.float32)))
    return [{**runner.train(trial.seed, epoch), **runner.validate()[0]} for epoch in range(epochs)]


def test_a_rearmed_engine_trains_a_trial_as_a_fresh_one_does_under_mixed_precision(mixed_precision):
    import tensorflow as tf

    x, y = _rows(200)
    setup = TrialSetup(n_classes=2, mean=x[:150].mean(0), variance=x[:150].var(0), precision="mixed_float16")
    target = spec(kind="dropout_l2", hidden=[16, 8], dropout=[0.3, 0.1], l2=0.01, seed=4)
    engine = engines.Engine(target, setup, (6,), tf.distribute.get_strategy(), 16)
    assert type(engine.net.optimizer).__name__ == "LossScaleOptimizer"
    first = _train(engine, target, setup, x, y)
    _train(engine, spec(hidden=[16, 8], learning_rate=0.1, l2=0.0, dropout=0.5, seed=9), setup, x, y)  # other values
    again = _train(engine, target, setup, x, y)
    assert first == again
    assert engine.runner._train.experimental_get_tracing_count() == 1  # three trials, one trace
    assert first[-1]["xent"] < first[0]["xent"]  # it did train


def test_a_zero_dropout_rate_leaves_the_forward_pass_untouched():
    import tensorflow as tf

    x, y = _rows(64)
    setup = TrialSetup(n_classes=2, mean=x.mean(0), variance=x.var(0))
    trial = spec(hidden=[16, 8], dropout=0.0)
    engine = engines.Engine(trial, setup, (6,), tf.distribute.get_strategy(), 16)
    engine.start(trial, build_for_trial(trial, setup, (6,)))
    training, inference = engine.net.forward(x, training=True), engine.net.forward(x, training=False)
    assert np.array_equal(training.numpy(), inference.numpy())
    engine.net.rates[0].assign(0.5)
    assert not np.array_equal(engine.net.forward(x, training=True).numpy(), inference.numpy())


def test_the_worker_keeps_a_bounded_number_of_architectures(monkeypatch):
    import tensorflow as tf

    monkeypatch.setattr(engines, "MAX_ENGINES", 2)
    monkeypatch.setattr(engines, "_ENGINES", type(engines._ENGINES)())
    x, _ = _rows(32)
    setup = TrialSetup(n_classes=2, mean=x.mean(0), variance=x.var(0))
    strategy = tf.distribute.get_strategy()
    small = engines.engine_for(spec(hidden=[4]), setup, (6,), strategy, "float32", 16)
    assert engines.engine_for(spec(hidden=[4], l2=0.1, learning_rate=0.5), setup, (6,), strategy, "float32", 16) is small
    engines.engine_for(spec(hidden=[8]), setup, (6,), strategy, "float32", 16)
    engines.engine_for(spec(hidden=[4]), setup, (6,), strategy, "float32", 16)  # used last: kept
    engines.engine_for(spec(hidden=[12]), setup, (6,), strategy, "float32", 16)  # drops [8], the least recently used
    assert [key[2] for key in engines._ENGINES] == [(4,), (12,)]


def test_a_cnn_trial_in_a_warm_worker_repeats_itself_with_augmentation_and_dropout(tmp_path):
    """The CNN family runs on engines too: its augmentation layers' random streams are handed in
    and back like dropout's, so the same trial after another of its architecture ends where it did."""
    import keras

    from orchestrator.train.loop import run_trial
    from orchestrator.train.spec import TrialData, TrialSpec
    from tests.train.helpers import FakeReporter

    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(96, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.int32)
    data = TrialData(x[:64], y[:64], x[64:], y[64:])
    setup = TrialSetup(n_classes=2, mean=np.zeros(1), variance=np.ones(1), model_kind="cnn", checkpoint_every=1)
    base = dict(variant="v", kind="augment_dropout", learning_rate=0.01, hidden=[], l2=0.001, dropout=0.3, patience=0,
                batch_size=16, epochs=3, seed=5, augment=0.1, param_filters=4, param_depth=1, param_dense=8)
    runs = []
    for changes in ({}, {"l2": 0.05, "dropout": 0.6, "learning_rate": 0.05, "seed": 8}, {}):
        reporter = FakeReporter(tmp_path / f"run{len(runs)}")
        run_trial(TrialSpec.from_config({**base, **changes}), setup, data, reporter)
        last, kept = reporter.checkpoints()[-1]
        saved = keras.models.load_model(kept / "model.keras", safe_mode=True)
        runs.append(({k: last[k] for k in ("loss", "val_loss", "accuracy")}, [w.tolist() for w in saved.get_weights()],
                     last["reused_trace"]))
    assert runs[0][:2] == runs[2][:2] and runs[0][0] != runs[1][0]
    assert [r[2] for r in runs] == [False, True, True]
    assert any("augment_rotation" == layer.name for layer in saved.layers)  # the saved model is the trial's own
