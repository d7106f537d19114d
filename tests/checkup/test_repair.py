"""The three mechanical repairs: a new model in runs/NAME/repaired/, proven in a fresh process like
launch's export, scored once on test, and loadable in safe mode with probabilities out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.mark.parametrize("cause, gain", [("preprocessing_mismatch", 0.3), ("inference_mode", 0.3), ("output_scale", 0.0)])
def test_a_mechanical_cause_is_repaired_and_verified(planted, tmp_path, cause, gain):
    import keras

    from orchestrator.checkup.run import DoctorRequest, doctor

    case = planted(cause)
    report, path = doctor(DoctorRequest(case["model"], case["test"], "label", case["train"]), tmp_path, "check")
    repaired = report["repaired"]
    assert repaired["repairs"] == [cause] and repaired["verified"], repaired
    assert max(repaired["max_abs_diff"].values()) <= 1e-5
    assert repaired["test"]["accuracy"] >= report["as_is"]["test"]["accuracy"] + gain
    assert (path.parent / "repaired" / "saved_model" / "saved_model.pb").is_file()
    model = keras.models.load_model(path.parent / "repaired" / "model.keras", safe_mode=True, compile=False)
    test = pd.read_csv(case["test"])
    outputs = np.asarray(model(test.drop(columns="label").to_numpy(np.float32)))
    assert outputs.min() >= 0 and outputs.max() <= 1
    assert np.mean((outputs.argmax(axis=1) if outputs.shape[1] > 1 else outputs[:, 0] > 0.5) == test["label"]) == \
        pytest.approx(repaired["test"]["accuracy"])


def test_nothing_mechanical_means_no_repair(planted, tmp_path):
    from orchestrator.checkup.run import DoctorRequest, doctor

    case = planted("overfitting")
    report, path = doctor(DoctorRequest(case["model"], case["test"], "label", case["train"]), tmp_path, "check")
    assert report["repaired"] is None and not (path.parent / "repaired").exists()
