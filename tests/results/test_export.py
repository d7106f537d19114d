"""The exported artifacts serve exactly what was evaluated, checked in a fresh process.

Each `verify_export` call starts a new Python (a few seconds), so the exported folders are built
once per module and copied where a test must break them.
"""

from __future__ import annotations

import shutil

import keras
import numpy as np
import pytest

from orchestrator.errors import ExportError, GGError
from orchestrator.models.mlp import build_model
from orchestrator.models.outputs import predict_proba
from orchestrator.results.export import export_best, verify_export
from orchestrator.train import checkpoint
from orchestrator.train.checkpoint import TrialState

N_FEATURES = 4
MEAN = np.array([1.0, -2.0, 0.5, 10.0], dtype=np.float32)
VARIANCE = np.array([4.0, 0.25, 1.0, 9.0], dtype=np.float32)


def raw_features(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return (MEAN + np.sqrt(VARIANCE) * rng.normal(size=(n, N_FEATURES))).astype(np.float32)


def exported(root, n_classes):
    """A tiny model with scaling inside, saved as a checkpoint, then exported; returns (exp_dir, model)."""
    keras.utils.set_random_seed(0)
    model = build_model(hidden=[16, 8], l2=0.01, dropout=0.3, n_features=N_FEATURES, n_classes=n_classes,
                        mean=MEAN, variance=VARIANCE)
    ckpt = root / "tune" / "trial_0" / "checkpoint_000001"
    checkpoint.save(ckpt, model, TrialState(epoch=1, variant="dropout"))
    exp_dir = root / "exp"
    exp_dir.mkdir()
    export_best(exp_dir, str(ckpt), {"variant": "dropout", "test": {"accuracy": 0.5}})
    return exp_dir, model


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    return exported(tmp_path_factory.mktemp("binary"), n_classes=2)


@pytest.fixture(scope="module")
def multiclass(tmp_path_factory):
    return exported(tmp_path_factory.mktemp("multi"), n_classes=3)


def test_export_writes_both_artifacts_and_metrics(binary):
    exp_dir, _ = binary
    best = exp_dir / "best"
    assert (best / "model.keras").is_file() and (best / "metrics.json").is_file()
    assert (best / "saved_model" / "saved_model.pb").is_file()
    assert not (best / ".saved_model.tmp").exists()


def test_serving_signature_takes_raw_float32_features(binary):
    import tensorflow as tf

    exp_dir, model = binary
    serve = tf.saved_model.load(str(exp_dir / "best" / "saved_model")).signatures["serving_default"]
    (spec,) = serve.structured_input_signature[1].values()
    assert spec.dtype == tf.float32 and spec.shape.as_list() == [None, N_FEATURES]
    x = raw_features(5)
    (out,) = serve(features=tf.constant(x)).values()
    np.testing.assert_allclose(out.numpy(), model.predict(x, verbose=0), atol=1e-6)


def test_verify_binary_raw_sigmoid_outputs(binary):
    exp_dir, model = binary
    x = raw_features()
    expected = model.predict(x, verbose=0)  # (n, 1) sigmoid column, the raw output
    assert expected.shape == (len(x), 1)
    result = verify_export(exp_dir, x, expected)
    assert result["verified"] is True and result["process"] == "fresh" and result["tolerance"] == 1e-5
    assert set(result["max_abs_diff"]) == {"model.keras", "saved_model"}
    assert all(d < 1e-5 for d in result["max_abs_diff"].values())


def test_a_checker_started_before_the_export_existed_proves_it(tmp_path):
    """`launch` starts the proof's process before the trials: it must judge the files written later,
    and a checker that died while waiting is replaced by a fresh one, not trusted."""
    from orchestrator.results.export import Checker

    early, dead = Checker(), Checker()
    dead.close()
    exp_dir, model = exported(tmp_path, n_classes=2)  # written after both processes started
    x = raw_features(seed=2)
    assert verify_export(exp_dir, x, model.predict(x, verbose=0), checker=early)["verified"] is True
    assert early.proc.returncode == 0
    assert verify_export(exp_dir, x, model.predict(x, verbose=0), checker=dead)["verified"] is True
    with pytest.raises(ExportError):  # the early checker really reads the files it is sent
        verify_export(exp_dir, x, model.predict(x, verbose=0) * 0.5, checker=Checker())


def test_verify_multiclass_probabilities(multiclass):
    exp_dir, model = multiclass
    x = raw_features(seed=1)
    result = verify_export(exp_dir, x, predict_proba(model, x))  # (n, 3) softmax
    assert result["verified"] is True
    assert all(d < 1e-5 for d in result["max_abs_diff"].values())


def test_preprocessing_outside_the_model_is_caught(binary):
    """Expectations from pre-scaled features (scaling done twice) do not match what the files serve."""
    exp_dir, model = binary
    x = raw_features()
    prescaled = ((x - MEAN) / np.sqrt(VARIANCE)).astype(np.float32)
    with pytest.raises(ExportError) as caught:
        verify_export(exp_dir, x, model.predict(prescaled, verbose=0))
    message = caught.value.message
    assert "best/model.keras differs" in message and "best/saved_model differs" in message
    assert "max |Δ| = " in message and "tolerance 1e-05" in message
    assert isinstance(caught.value, GGError) and caught.value.one_line().startswith("export error: ")


def test_different_model_is_caught_with_its_size(binary):
    exp_dir, _ = binary
    keras.utils.set_random_seed(123)
    other = build_model(hidden=[16, 8], l2=0.0, dropout=0.0, n_features=N_FEATURES, n_classes=2,
                        mean=MEAN, variance=VARIANCE)
    x = raw_features()
    with pytest.raises(ExportError, match=r"best/saved_model differs .* max \|Δ\| = \d"):
        verify_export(exp_dir, x, other.predict(x, verbose=0))


def test_corrupted_saved_model_is_an_export_error(binary, tmp_path):
    exp_dir = tmp_path / "exp"
    shutil.copytree(binary[0], exp_dir)
    (exp_dir / "best" / "saved_model" / "saved_model.pb").write_bytes(b"not a protobuf")
    shutil.rmtree(exp_dir / "best" / "saved_model" / "variables")
    x = raw_features()
    with pytest.raises(ExportError) as caught:
        verify_export(exp_dir, x, binary[1].predict(x, verbose=0))
    message = caught.value.message
    assert "best/saved_model could not be loaded" in message
    assert "model.keras" not in message  # the intact artifact is not blamed
    assert "Traceback" not in message


def test_missing_export_is_an_export_error(tmp_path):
    (tmp_path / "best").mkdir()
    x = raw_features(8)
    with pytest.raises(ExportError, match="best/model.keras could not be loaded.*best/saved_model could not be loaded"):
        verify_export(tmp_path, x, np.full((8, 1), 0.5))


def test_mismatched_shapes_fail_before_starting_a_process(tmp_path):
    with pytest.raises(ExportError, match="same, non-zero number of rows"):
        verify_export(tmp_path, raw_features(8), np.zeros((7, 1)))
