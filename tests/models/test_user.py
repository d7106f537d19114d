"""User models: builders imported by reference and saved .keras architectures, rebuilt per variant."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from orchestrator.errors import ModelError
from orchestrator.models.builder import BuildSpec, build_user_model, check_builder, load_builder
from orchestrator.models.saved import check_saved_model, has_own_preprocessing, load_architecture, rebuild

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "builder_example.py"

GOOD = """
import keras

def build(spec):
    reg = keras.regularizers.L2(spec.l2) if spec.l2 > 0 else None
    inputs = keras.Input(shape=spec.input_shape)
    x = keras.layers.Dense(spec.params.get("units", 16), activation="relu", kernel_regularizer=reg)(inputs)
    if spec.dropout > 0:
        x = keras.layers.Dropout(spec.dropout)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
"""


def write(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


def assert_one_line(err: pytest.ExceptionInfo) -> str:
    assert "\n" not in err.value.one_line()
    return err.value.one_line()


# --- builders ---------------------------------------------------------------------------------

def test_a_good_file_builder_honours_l2_and_dropout(tmp_path):
    ref = f"{write(tmp_path, 'good.py', GOOD)}:build"
    plain = build_user_model(ref, BuildSpec((5,), 2))
    assert plain.losses == [] and plain.output_shape == (None, 1)
    model = build_user_model(ref, BuildSpec((5,), 2, l2=1e-2, dropout=0.5))
    assert len(model.losses) == 1
    x = np.ones((8, 5), dtype="float32")
    train_a, train_b = (np.asarray(model(x, training=True)) for _ in range(2))
    infer_a, infer_b = (np.asarray(model(x, training=False)) for _ in range(2))
    assert not np.allclose(train_a, train_b)
    np.testing.assert_array_equal(infer_a, infer_b)


def test_params_reach_the_builder(tmp_path):
    ref = f"{write(tmp_path, 'good.py', GOOD)}:build"
    model = build_user_model(ref, BuildSpec((5,), 2, params={"units": 7}))
    assert model.layers[1].units == 7


def test_a_file_loads_under_one_stable_module_name(tmp_path):
    ref = f"{write(tmp_path, 'good.py', GOOD)}:build"
    assert load_builder(ref).__module__ == load_builder(ref).__module__ != "good"


def test_a_module_ref_is_imported(tmp_path, monkeypatch):
    package = tmp_path / "usermodels_pkg"
    package.mkdir()
    write(package, "__init__.py", "")
    write(package, "nets.py", GOOD)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("usermodels_pkg", "usermodels_pkg.nets"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    model = build_user_model("usermodels_pkg.nets:build", BuildSpec((3,), 2, params={"units": 5}))
    assert model.input_shape == (None, 3)


BAD = {
    "no_colon": (None, "does not name a function"),
    "missing_file": (None, "not found"),
    "missing_module": (None, "no module named"),
    "syntax": ("def build(spec:\n", "syntax error"),
    "import_error": ("raise RuntimeError('no GPU here')\n", "RuntimeError: no GPU here"),
    "missing_function": ("def make(spec):\n    return None\n", "no function 'build' (it defines: make)"),
    "not_callable": ("build = 3\n", "not a function"),
    "returns_dict": ("def build(spec):\n    return {'layers': 2}\n", "returned dict, not a keras.Model"),
    "three_outputs": ("import keras\ndef build(spec):\n    return keras.Sequential([keras.Input(spec.input_shape),"
                      " keras.layers.Dense(3, activation='softmax')])\n", "expected (None, 1) or (None, 2)"),
    "wrong_input": ("import keras\ndef build(spec):\n    return keras.Sequential([keras.Input((9,)),"
                    " keras.layers.Dense(1, activation='sigmoid')])\n", "takes inputs of shape (None, 9)"),
    "logits": ("import keras\ndef build(spec):\n    return keras.Sequential([keras.Input(spec.input_shape),"
               " keras.layers.Dense(2)])\n", "does not output class probabilities"),
    "raises": ("def build(spec):\n    return spec.params['depth']\n", "raised KeyError: 'depth'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_bad_builder_is_one_model_error_line(tmp_path, case):
    code, expected = BAD[case]
    ref = {"no_colon": str(tmp_path / "m.py"), "missing_file": f"{tmp_path / 'absent.py'}:build",
           "missing_module": "no_such_gg_package.models:build"}.get(case)
    ref = ref or f"{write(tmp_path, f'{case}.py', code)}:build"
    with pytest.raises(ModelError) as err:
        build_user_model(ref, BuildSpec((5,), 2))
    assert expected in assert_one_line(err)


def test_the_example_builder_passes_check_builder():
    notes = check_builder(f"{EXAMPLE}:build", (6,), 3, {"units": 32})
    text = " | ".join(notes)
    assert "ignores" not in text and "not unregularized" not in text
    assert "spec.l2 adds 2 regularization losses" in text and "spec.dropout adds 2 Dropout layers" in text


def test_check_builder_reports_a_builder_that_ignores_the_regularization(tmp_path):
    code = ("import keras\ndef build(spec):\n    m = keras.Sequential([keras.Input(spec.input_shape), keras.layers.Dense(4),"
            " keras.layers.Dense(1, activation='sigmoid')])\n    m.compile('adam', 'binary_crossentropy')\n    return m\n")
    notes = check_builder(f"{write(tmp_path, 'lazy.py', code)}:build", (5,), 2, {})
    assert "the builder ignores spec.l2: its l2 variants equal the baseline" in notes
    assert "the builder ignores spec.dropout: its dropout variants equal the baseline" in notes
    assert any("compiles its model" in n for n in notes)


# --- saved models -----------------------------------------------------------------------------

def save(model, folder: Path, name: str = "m.keras") -> Path:
    path = folder / name
    model.save(path)
    return path


def test_a_sequential_without_dropout_gets_dropout_after_its_hidden_dense_layers(tmp_path):
    import keras

    path = save(keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="d1"), keras.layers.Activation("relu", name="act"),
                                  keras.layers.Dense(6, activation="relu", name="d2"),
                                  keras.layers.Dense(1, activation="sigmoid", name="out")]), tmp_path)
    model, changes = rebuild(path, l2=1e-3, dropout=0.3)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "Activation", "Dropout", "Dense", "Dropout", "Dense"]
    assert "added dropout after act (rate 0.3)" in changes and "added dropout after d2 (rate 0.3)" in changes
    assert "out: L2 0.001 on kernel" in changes and len(model.losses) == 3
    baseline, base_changes = rebuild(path, l2=0.0, dropout=0.0)
    assert len(baseline.layers) == 4 and baseline.losses == [] and base_changes == []


def _functional_with_dropout_and_l2():
    import keras

    inner = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, kernel_regularizer=keras.regularizers.L2(0.01), name="inner_dense")],
                             name="block")
    inputs = keras.Input((4,))
    x = keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01), name="d1")(inputs)
    x = keras.layers.Dropout(0.5, name="drop")(inner(x))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(x))


def test_a_functional_model_loses_its_l2_in_the_baseline_and_gets_the_variant_rate(tmp_path):
    path = save(_functional_with_dropout_and_l2(), tmp_path)
    model, changes = rebuild(path, l2=0.0, dropout=0.2)
    assert model.losses == [] and model.get_layer("drop").rate == pytest.approx(0.2)
    assert "d1: kernel regularizer L2(l2=0.01) removed (baseline: unregularized)" in changes
    assert "inner_dense: kernel regularizer L2(l2=0.01) removed (baseline: unregularized)" in changes
    assert "drop: rate 0.5 → 0.2" in changes
    off, off_changes = rebuild(path, l2=1e-3, dropout=0.0)
    assert off.get_layer("drop").rate == 0.0 and "drop: rate 0.5 → 0 (baseline: dropout off)" in off_changes
    assert len(off.losses) == 3


def test_weights_are_fresh_but_an_adapted_normalization_is_kept(tmp_path):
    import keras

    norm = keras.layers.Normalization(name="norm")
    norm.adapt(np.random.default_rng(1).normal(5.0, 3.0, size=(200, 4)).astype("float32"))
    saved = keras.Sequential([keras.Input((4,)), norm, keras.layers.Dense(8, name="d1"),
                              keras.layers.Dense(1, activation="sigmoid", name="out")])
    path = save(saved, tmp_path)
    arch = json.loads(json.dumps(load_architecture(path)))  # as a worker elsewhere receives it
    model, changes = rebuild(arch, l2=0.0, dropout=0.0)
    assert "norm: adapted Normalization state kept" in changes
    np.testing.assert_allclose(np.asarray(model.get_layer("norm").mean), np.asarray(norm.mean))
    np.testing.assert_allclose(np.asarray(model.get_layer("norm").variance), np.asarray(norm.variance))
    assert not np.allclose(model.get_layer("d1").get_weights()[0], saved.get_layer("d1").get_weights()[0])
    x = np.full((2, 4), 5.0, dtype="float32")
    np.testing.assert_allclose(np.asarray(model.get_layer("norm")(x)), np.asarray(norm(x)), atol=1e-6)
    assert has_own_preprocessing(model) and not has_own_preprocessing(_functional_with_dropout_and_l2())
    notes = check_saved_model(path, (4,), 2)
    assert any("has its own Normalization layer" in n for n in notes)


def test_an_adapted_string_lookup_keeps_its_vocabulary(tmp_path):
    import keras

    lookup = keras.layers.StringLookup(name="colour", output_mode="one_hot")
    lookup.adapt(np.array(["red", "blue", "red", "green"]))
    inputs = keras.Input((1,), dtype="string")
    path = save(keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(lookup(inputs))), tmp_path)
    model, changes = rebuild(json.loads(json.dumps(load_architecture(path))), l2=0.0, dropout=0.0)
    assert "colour: adapted StringLookup state kept" in changes
    assert list(model.get_layer("colour").get_vocabulary()) == list(lookup.get_vocabulary())


def test_a_lambda_layer_is_refused_by_safe_mode(tmp_path):
    import keras

    path = save(keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda t: t * 2),
                                  keras.layers.Dense(1, activation="sigmoid")]), tmp_path)
    with pytest.raises(ModelError) as err:
        load_architecture(path)
    assert "safe mode" in assert_one_line(err)


def test_a_keras_config_naming_an_arbitrary_function_is_refused_and_never_called(tmp_path, monkeypatch):
    """A .keras file is a zip whose config.json may name any module's function as, say, an activation."""
    import os
    import zipfile

    import keras

    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    good = save(keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")]), tmp_path)
    evil = tmp_path / "evil.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "config.json":
                config = json.loads(data)
                config["config"]["layers"][-1]["config"]["activation"] = {
                    "module": "os", "class_name": "function", "config": "system", "registered_name": "function"}
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    with pytest.raises(ModelError) as err:
        load_architecture(evil)
    line = assert_one_line(err)
    assert "evil.keras" in line and called == [], line


@pytest.mark.parametrize("name, content, expected", [
    ("m.h5", b"x", "not a .keras file"), ("absent.keras", None, "not found"), ("junk.keras", b"not a zip", "not a valid .keras"),
])
def test_a_file_that_is_not_a_keras_model_is_refused(tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelError) as err:
        load_architecture(path)
    assert expected in assert_one_line(err)


def test_check_saved_model_names_both_shapes(tmp_path):
    path = save(_functional_with_dropout_and_l2(), tmp_path)
    with pytest.raises(ModelError) as err:
        check_saved_model(path, (6,), 3)
    assert "(None, 4)" in assert_one_line(err) and "(None, 6)" in err.value.one_line()
    with pytest.raises(ModelError) as err:
        check_saved_model(path, (4,), 2)
    assert "expected (None, 1) or (None, 2)" in assert_one_line(err)
    assert check_saved_model(path, (4,), 3)[0].endswith("trained afresh (its saved weights are not used)")
