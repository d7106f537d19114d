"""The trial's model for a user's builder or saved model: gg-train's scaling in front, float32
probabilities out, two softmax units for two classes read as P(class 1)."""

from __future__ import annotations

import numpy as np

from orchestrator.train.build import build_for_trial
from orchestrator.train.spec import TrialSetup, TrialSpec

BUILDER = '''
import keras
def build(spec):
    i = keras.Input(spec.input_shape)
    h = keras.layers.Dense(8, activation="relu")(i)
    if spec.dropout > 0:
        h = keras.layers.Dropout(spec.dropout)(h)
    return keras.Model(i, keras.layers.Dense(2, activation="softmax")(h))
'''


def spec(**over) -> TrialSpec:
    base = dict(variant="v", kind="dropout", learning_rate=1e-3, hidden=(8,), l2=0.0, dropout=0.3, patience=0,
                batch_size=8, epochs=1, seed=0)
    return TrialSpec(**{**base, **over})


def test_a_two_unit_softmax_builder_for_two_classes_becomes_one_probability_behind_gg_trains_scaling(tmp_path):
    (tmp_path / "two.py").write_text(BUILDER, encoding="utf-8")
    setup = TrialSetup(n_classes=2, mean=np.full(3, 10.0), variance=np.full(3, 4.0), model_kind="builder",
                       model_ref=f"{tmp_path / 'two.py'}:build")
    model = build_for_trial(spec(), setup, (3,))
    x = np.random.default_rng(0).normal(10, 2, size=(5, 3)).astype(np.float32)
    p = np.asarray(model(x, training=False))
    assert p.shape == (5, 1) and p.dtype == np.float32 and ((0 < p) & (p < 1)).all()
    scaling = model.get_layer("scaling")
    np.testing.assert_allclose(np.asarray(scaling.mean).ravel(), 10.0)  # the training split's statistics in front
    assert any(type(layer).__name__ == "Dropout" for layer in model.get_layer(index=2).layers)
