"""Model builders and the checkpoint format (TensorFlow is imported once, for this module)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from orchestrator.models.mlp import build_model, dropout_rates
from orchestrator.models.outputs import predict_proba
from orchestrator.train import checkpoint
from orchestrator.train.checkpoint import TrialState
from orchestrator.train.fitting import compile_model, targets

N_FEATURES = 4
MEAN = np.array([1.0, -2.0, 0.5, 10.0], dtype=np.float32)
VARIANCE = np.array([4.0, 0.25, 1.0, 9.0], dtype=np.float32)


def make(*, hidden=(128, 64), l2=0.0, dropout=0.0, n_classes=2, activation="relu"):
    keras.utils.set_random_seed(0)
    return build_model(
        hidden=list(hidden), l2=l2, dropout=dropout, n_features=N_FEATURES, n_classes=n_classes,
        mean=MEAN, variance=VARIANCE, activation=activation,
    )


def layers_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def inputs(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return (MEAN + np.sqrt(VARIANCE) * rng.normal(size=(n, N_FEATURES))).astype(np.float32)


# ---- architecture ----------------------------------------------------------------------------


def test_baseline_is_unregularized():
    model = make()
    dense = layers_of(model, keras.layers.Dense)
    assert [d.units for d in dense] == [128, 64, 1]
    assert all(d.kernel_regularizer is None for d in dense)
    assert layers_of(model, keras.layers.Dropout) == []
    model(inputs())
    assert list(model.losses) == []


def test_l2_variant_adds_penalty():
    model = make(l2=0.01)
    hidden = layers_of(model, keras.layers.Dense)[:-1]
    assert [d.units for d in hidden] == [128, 64]
    for d in hidden:
        assert isinstance(d.kernel_regularizer, keras.regularizers.L2)
        assert d.kernel_regularizer.l2 == pytest.approx(0.01)
    assert model.get_layer("output").kernel_regularizer is None
    model(inputs())
    losses = [float(loss) for loss in model.losses]
    assert len(losses) == 2
    assert all(loss > 0 for loss in losses)
    # the penalty is l2 * sum(kernel ** 2) of each hidden layer
    expected = sum(0.01 * float(np.sum(np.square(d.kernel.numpy()))) for d in hidden)
    assert sum(losses) == pytest.approx(expected, rel=1e-4)


def test_no_hidden_layer_is_a_linear_model_whose_regularizers_act_on_its_only_weights():
    """The capacity ladder's first rung: scaling → output; L2 on the output's kernel, dropout on the inputs."""
    baseline = make(hidden=())
    assert [d.units for d in layers_of(baseline, keras.layers.Dense)] == [1]
    assert layers_of(baseline, keras.layers.Dropout) == [] and baseline.get_layer("output").kernel_regularizer is None
    baseline(inputs())
    assert list(baseline.losses) == []
    l2 = make(hidden=(), l2=0.01)
    l2(inputs())
    kernel = l2.get_layer("output").kernel.numpy()
    assert [float(loss) for loss in l2.losses] == pytest.approx([0.01 * float(np.sum(np.square(kernel)))], rel=1e-4)
    dropout = make(hidden=(), dropout=[0.4, 0.2])
    assert [(d.name, d.rate) for d in layers_of(dropout, keras.layers.Dropout)] == [("input_dropout", pytest.approx(0.4))]
    assert [layer.name for layer in dropout.layers][-2:] == ["input_dropout", "output"]
    # still a linear model at inference: the output is the sigmoid of an affine function of the scaled features
    x = inputs()
    out, w = dropout(x, training=False).numpy(), dropout.get_layer("output").get_weights()
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-(((x - MEAN) / np.sqrt(VARIANCE)) @ w[0] + w[1]))), atol=1e-5)


def test_single_dropout_rate_applies_to_every_layer():
    model = make(dropout=0.25)
    assert [d.rate for d in layers_of(model, keras.layers.Dropout)] == [0.25, 0.25]
    assert all(d.kernel_regularizer is None for d in layers_of(model, keras.layers.Dense))


def test_dropout_list_gives_one_rate_per_layer():
    model = make(hidden=(64, 32, 16), dropout=[0.5, 0.3, 0.1])
    assert [d.rate for d in layers_of(model, keras.layers.Dropout)] == pytest.approx([0.5, 0.3, 0.1])
    # each Dropout follows its Dense layer
    names = [layer.name for layer in model.layers]
    assert names.index("dropout_0") == names.index("dense_0") + 1
    assert names.index("dropout_2") == names.index("dense_2") + 1


def test_zero_rate_in_list_means_no_dropout_layer():
    model = make(dropout=[0.4, 0.0])
    assert [layer.name for layer in layers_of(model, keras.layers.Dropout)] == ["dropout_0"]


def test_dropout_rates_helper():
    assert dropout_rates(0.2, 3) == [0.2, 0.2, 0.2]
    assert dropout_rates([0.5, 0.3], 2) == [0.5, 0.3]
    assert dropout_rates([0.5], 3) == [0.5, 0.5, 0.5]
    assert dropout_rates([0.5, 0.3, 0.1], 2) == [0.5, 0.3]


def test_dropout_is_off_at_inference():
    model = make(dropout=0.5)
    x = inputs()
    np.testing.assert_allclose(predict_proba(model, x), predict_proba(model, x))
    train_a = model(x, training=True).numpy()
    train_b = model(x, training=True).numpy()
    assert not np.allclose(train_a, train_b)


def test_normalization_layer_uses_given_mean_and_variance():
    model = make()
    scaling = model.get_layer("scaling")
    assert isinstance(scaling, keras.layers.Normalization)
    assert model.layers.index(scaling) == 1  # right after the input: the model takes raw features
    np.testing.assert_allclose(scaling(MEAN[None, :]).numpy(), 0.0, atol=1e-5)
    one_sd = (MEAN + np.sqrt(VARIANCE))[None, :]
    np.testing.assert_allclose(scaling(one_sd).numpy(), 1.0, atol=1e-4)


def test_binary_output_is_one_sigmoid():
    model = make(n_classes=2)
    out = model.get_layer("output")
    assert out.units == 1 and out.activation is keras.activations.sigmoid
    p = model(inputs()).numpy()
    assert p.shape == (16, 1) and np.all((p > 0) & (p < 1))
    proba = predict_proba(model, inputs())
    assert proba.shape == (16, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_four_classes_give_four_softmax_outputs():
    model = make(n_classes=4)
    out = model.get_layer("output")
    assert out.units == 4 and out.activation is keras.activations.softmax
    p = model(inputs()).numpy()
    assert p.shape == (16, 4)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)


def test_activation_is_applied_to_hidden_layers():
    model = make(activation="tanh")
    assert all(d.activation is keras.activations.tanh for d in layers_of(model, keras.layers.Dense)[:-1])


def test_targets_shape():
    y = np.array([0, 1, 1])
    assert targets(y, 2).shape == (3, 1) and targets(y, 2).dtype == np.float32
    assert targets(y, 3).shape == (3,) and targets(y, 3).dtype == np.int32


# ---- checkpoint ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small l2 + dropout model trained one epoch, saved once for the checkpoint tests."""
    model = make(hidden=(16, 8), l2=0.01, dropout=[0.3, 0.2], n_classes=3)
    compile_model(model, n_classes=3, optimizer="adam", learning_rate=1e-2)
    x = inputs(48, seed=1)
    y = np.arange(48) % 3
    model.fit(x, targets(y, 3), epochs=1, batch_size=16, verbose=0)
    state = TrialState(
        epoch=np.int64(1),
        variant="l2_dropout",
        early_stopping={"best": np.float32(0.75), "wait": 0, "best_epoch": 1},
        history=[{"loss": np.float64(1.25), "val_loss": 1.5, "val_accuracy": np.float32(0.5)}],
    )
    best = [w.copy() for w in model.get_weights()]
    directory = tmp_path_factory.mktemp("ckpt") / "checkpoint_000001"
    checkpoint.save(directory, model, state, best_weights=best)
    return model, state, best, directory, x


def test_checkpoint_files(trained):
    _, _, _, directory, _ = trained
    assert (directory / checkpoint.MODEL_FILE).is_file()
    assert (directory / checkpoint.STATE_FILE).is_file()
    assert (directory / checkpoint.BEST_WEIGHTS_FILE).is_file()
    assert not list(directory.glob(".*.tmp"))  # atomic write leaves no temp file


def test_checkpoint_model_round_trip(trained):
    model, _, _, directory, x = trained
    loaded = checkpoint.load_model(directory)
    np.testing.assert_allclose(predict_proba(loaded, x), predict_proba(model, x), rtol=1e-6, atol=1e-7)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_allclose(loaded.get_layer("scaling")(MEAN[None, :]).numpy(), 0.0, atol=1e-5)
    assert loaded.get_layer("dense_0").kernel_regularizer.l2 == pytest.approx(0.01)
    # compiled with the optimizer state, so training can resume
    assert loaded.optimizer is not None
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 3


def test_checkpoint_model_loads_uncompiled(trained):
    model, _, _, directory, x = trained
    loaded = checkpoint.load_model(directory, compile=False)
    np.testing.assert_allclose(predict_proba(loaded, x), predict_proba(model, x), rtol=1e-6, atol=1e-7)


def test_checkpoint_state_round_trip(trained):
    _, state, _, directory, _ = trained
    raw = json.loads((directory / checkpoint.STATE_FILE).read_text(encoding="utf-8"))
    assert raw["schema_version"] == checkpoint.SCHEMA_VERSION
    assert raw["epoch"] == 1 and raw["variant"] == "l2_dropout"
    loaded = checkpoint.load_state(directory)
    assert loaded == state
    assert loaded.history[0]["val_accuracy"] == pytest.approx(0.5)
    assert loaded.early_stopping == {"best": 0.75, "wait": 0, "best_epoch": 1}


def test_checkpoint_best_weights_round_trip(trained, tmp_path):
    _, _, best, directory, _ = trained
    loaded = checkpoint.load_best_weights(directory)
    assert len(loaded) == len(best)
    for a, b in zip(loaded, best):
        np.testing.assert_array_equal(a, b)
    assert checkpoint.load_best_weights(tmp_path) is None


def test_checkpoint_wrong_schema_version_raises(trained, tmp_path):
    _, state, _, _, _ = trained
    checkpoint.write_json_atomic(tmp_path / checkpoint.STATE_FILE, {**state.__dict__, "schema_version": 99})
    with pytest.raises(ValueError, match=r"has schema 99, expected 1"):
        checkpoint.load_state(tmp_path)


def test_checkpoint_missing_schema_version_raises(tmp_path):
    (tmp_path / checkpoint.STATE_FILE).write_text(json.dumps({"epoch": 3}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"has schema None"):
        checkpoint.load_state(tmp_path)


def test_checkpoint_save_overwrites_state(trained, tmp_path):
    model, state, _, _, _ = trained
    checkpoint.save(tmp_path, model, state)
    later = TrialState(epoch=2, variant="l2_dropout")
    checkpoint.save(tmp_path, model, later)
    assert checkpoint.load_state(tmp_path).epoch == 2
    assert checkpoint.load_best_weights(tmp_path) is None


def test_scaling_stays_float32_under_mixed_precision():
    """A feature with mean 70,000 overflows float16; the scaling layer must not compute in it."""
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(hidden=[8], l2=0.0, dropout=0.0, n_features=2, n_classes=2,
                            mean=np.array([70_000.0, 0.0]), variance=np.array([250_000.0, 1.0]))
        assert model.get_layer("scaling").compute_dtype == "float32"
        scaled = keras.Model(model.inputs, model.get_layer("scaling").output)(np.array([[70_500.0, 0.5]], "float32"))
        np.testing.assert_allclose(keras.ops.convert_to_numpy(scaled), [[1.0, 0.5]], rtol=1e-5)
        assert np.isfinite(model.predict(np.array([[70_500.0, 0.5], [69_990.0, -1.0]], "float32"), verbose=0)).all()
    finally:
        keras.mixed_precision.set_global_policy("float32")
