"""The three model formats load as they are and give the outputs of the model that was saved;
a legacy .h5 file with a Lambda layer is refused before Keras would run its code."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.errors import ModelError


def _model(lambda_layer: bool = False):
    import keras

    keras.utils.set_random_seed(1)
    middle = [keras.layers.Lambda(lambda t: t * 2.0)] if lambda_layer else [keras.layers.BatchNormalization()]
    return keras.Sequential([keras.Input((6,)), *middle, keras.layers.Dense(3, activation="softmax")])


X = np.random.default_rng(0).normal(size=(40, 6)).astype(np.float32)


def test_h5_loads_with_the_same_outputs_and_a_note_on_safe_mode(tmp_path):
    from orchestrator.checkup.loading import load_user_model

    model = _model()
    model.save(tmp_path / "m.h5")
    loaded = load_user_model(tmp_path / "m.h5")
    assert loaded.format == "h5" and loaded.output_units == 3 and loaded.output_activation == "softmax"
    assert np.allclose(loaded.outputs(X), model.predict(X, verbose=0), atol=1e-6)
    assert "CVE-2025-9905" in loaded.notes[0]


def test_h5_with_a_lambda_layer_is_refused_before_loading(tmp_path):
    from orchestrator.checkup.loading import load_user_model

    _model(lambda_layer=True).save(tmp_path / "m.h5")
    with pytest.raises(ModelError, match="Lambda layer .* a .h5 file would run it on load"):
        load_user_model(tmp_path / "m.h5")


def test_saved_model_loads_through_its_serving_signature(tmp_path):
    from orchestrator.checkup.loading import load_user_model

    model = _model()
    model.export(tmp_path / "exported", verbose=False)
    loaded = load_user_model(tmp_path / "exported")
    assert loaded.format == "saved_model" and loaded.keras_model is None and loaded.output_activation is None
    assert loaded.inputs[0]["shape"] == [None, 6]
    assert np.allclose(loaded.outputs(X), model.predict(X, verbose=0), atol=1e-6)


def test_a_folder_that_is_not_a_saved_model_is_one_error(tmp_path):
    from orchestrator.checkup.loading import load_user_model

    with pytest.raises(ModelError, match="not a SavedModel"):
        load_user_model(tmp_path)
