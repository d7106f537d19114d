"""The CNN family: layout, regularizers only when asked for, train-only augmentation, saving, and learning digits."""

from __future__ import annotations

import time

import keras
import numpy as np
import pytest

from orchestrator.models.cnn import build_cnn

SHAPE = (8, 8, 1)


def make(**kwargs):
    keras.utils.set_random_seed(0)
    args = {"input_shape": SHAPE, "n_classes": 10, **kwargs}
    return build_cnn(**args)


def layers_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def pixels(n=8, shape=SHAPE, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, *shape)).astype(np.float32)


def digits():
    """All 1797 sklearn digits as raw pixels 0..255, float32 (n, 8, 8, 1)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images * (255.0 / 16.0)).astype(np.float32)[..., np.newaxis], d.target.astype(np.int32)


def test_baseline_layout_and_names():
    model = make()
    assert model.name == "gg_cnn" and model.inputs[0].name == "pixels"
    assert [c.filters for c in layers_of(model, keras.layers.Conv2D)] == [32, 64]
    assert len(layers_of(model, keras.layers.MaxPooling2D)) == 2
    assert layers_of(model, keras.layers.Flatten) and not layers_of(model, keras.layers.GlobalAveragePooling2D)
    assert isinstance(model.get_layer("scaling"), keras.layers.Rescaling)
    assert model.get_layer("scaling").scale == pytest.approx(1 / 255)
    assert layers_of(model, keras.layers.Dropout) == []
    assert not [la for la in model.layers if la.name.startswith("augment_")]
    assert model.get_layer("output").dtype_policy.name == "float32"


@pytest.mark.parametrize("n_classes, width, activation", [(2, 1, "sigmoid"), (10, 10, "softmax")])
def test_output_shapes(n_classes, width, activation):
    model = make(n_classes=n_classes)
    out = model(pixels(5), training=False)
    assert tuple(out.shape) == (5, width)
    assert model.get_layer("output").activation.__name__ == activation


def test_depth_three_on_8x8_pools_only_while_possible():
    model = make(depth=3)
    assert len(layers_of(model, keras.layers.MaxPooling2D)) == 3  # 8 -> 4 -> 2 -> 1
    model4 = make(depth=4)
    assert len(layers_of(model4, keras.layers.MaxPooling2D)) == 3  # the 4th block keeps 1x1
    assert tuple(model4(pixels(2), training=False).shape) == (2, 10)


def test_large_images_average_instead_of_flattening():
    model = make(input_shape=(64, 64, 3))
    assert layers_of(model, keras.layers.GlobalAveragePooling2D) and not layers_of(model, keras.layers.Flatten)


def test_l2_adds_losses_only_when_asked():
    plain, l2 = make(), make(l2=1e-3)
    x = pixels()
    plain(x), l2(x)
    assert list(plain.losses) == []
    assert len(l2.losses) == 3  # two convs and the hidden dense; the output layer is not penalized
    assert l2.get_layer("output").kernel_regularizer is None


def test_dropout_layers_only_when_asked():
    assert layers_of(make(dropout=0.0), keras.layers.Dropout) == []
    rates = [d.rate for d in layers_of(make(dropout=0.3), keras.layers.Dropout)]
    assert rates == [pytest.approx(0.3)] * 2


def test_augmentation_acts_only_in_training():
    aug, plain = make(augment=0.2, flip=True), make()
    names = {la.name for la in aug.layers}
    assert {"augment_rotation", "augment_zoom", "augment_translation", "augment_flip"} <= names
    assert aug.get_layer("augment_rotation").factor == pytest.approx((-0.05, 0.05))
    for layer in plain.layers:  # identical weights on both paths
        if layer.weights:
            aug.get_layer(layer.name).set_weights(layer.get_weights())
    x = digits()[0][:16]
    infer = np.asarray(aug(x, training=False))
    np.testing.assert_array_equal(infer, np.asarray(aug(x, training=False)))
    np.testing.assert_allclose(infer, np.asarray(plain(x, training=False)), rtol=1e-6, atol=1e-7)
    trained = np.asarray(aug(x, training=True))
    assert np.abs(trained - infer).max() > 1e-4


def test_flip_without_augment_and_bad_arguments():
    names = {la.name for la in make(flip=True).layers}
    assert "augment_flip" in names and "augment_rotation" not in names
    for bad in ({"augment": 1.5}, {"n_classes": 1}, {"depth": 0}, {"input_shape": (8, 8)}):
        with pytest.raises(ValueError):
            make(**bad)


def test_saves_and_reloads_safely_to_identical_outputs(tmp_path):
    model = make(l2=1e-3, dropout=0.2, augment=0.1, n_classes=2)
    x = pixels(6)
    before = np.asarray(model(x, training=False))
    path = tmp_path / "cnn.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True, compile=False)
    assert loaded.name == "gg_cnn"
    np.testing.assert_array_equal(np.asarray(loaded(x, training=False)), before)


def test_learns_8x8_digits_to_95_percent():
    """The family can meet the project's acceptance bar (>= 0.95 held-out accuracy) on a CPU in seconds."""
    from sklearn.model_selection import train_test_split

    x, y = digits()
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=0.6, stratify=y, random_state=0)
    _, x_test, _, y_test = train_test_split(x_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0)
    model = make(filters=32, depth=2)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0)
    accuracy = float(np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test))
    seconds = time.perf_counter() - start
    print(f"\ncnn digits: held-out accuracy {accuracy:.4f} on {len(y_test)} images, {seconds:.1f} s")
    assert accuracy >= 0.95
