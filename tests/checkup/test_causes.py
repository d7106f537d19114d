"""Each planted cause is confirmed and primary, and no other cause is falsely confirmed; a healthy
model gets nothing confirmed. The cases are real saved Keras models (tests/checkup/cases.py)."""

from __future__ import annotations

import pytest

from tests.checkup.cases import PLANTED


def _examine(case: dict) -> dict:
    from orchestrator.checkup.run import DoctorRequest, examine

    return examine(DoctorRequest(case["model"], case["test"], "label", case["train"], case.get("val")))[0]


def _verdicts(report: dict) -> dict:
    return {f["cause"]: f["verdict"] for f in report["findings"]}


@pytest.mark.parametrize("cause", sorted(PLANTED))
def test_the_planted_cause_is_confirmed_primary_and_alone(planted, cause):
    report = _examine(planted(cause))
    verdicts = _verdicts(report)
    assert verdicts[cause] == "confirmed", report["findings"]
    assert report["primary"] == cause
    assert [c for c, v in verdicts.items() if v == "confirmed"] == [cause]


def test_a_healthy_model_has_nothing_confirmed(planted):
    report = _examine(planted("healthy"))
    assert report["primary"] is None
    assert "confirmed" not in _verdicts(report).values(), report["findings"]
    assert report["as_is"]["test"]["accuracy"] > 0.9


def test_every_verdict_carries_its_rule_and_numbers(planted):
    report = _examine(planted("preprocessing_mismatch"))
    found = {f["cause"]: f for f in report["findings"]}
    assert set(found) == {"output_scale", "preprocessing_mismatch", "inference_mode", "label_mapping", "covariate_shift",
                          "label_shift", "unseen_categories", "overfitting", "underfitting", "class_imbalance", "train_test_overlap",
                          "small_test_set"}
    assert all(f["rule"] and f["summary"] for f in found.values())
    mismatch = found["preprocessing_mismatch"]["evidence"]
    assert mismatch["transform"].startswith("standardize")
    assert mismatch["test_accuracy_after"] > report["as_is"]["test"]["accuracy"] + 0.2
    assert found["inference_mode"]["verdict"] == "not_applicable"


def test_label_mapping_names_the_mapping(planted):
    report = _examine(planted("label_mapping"))
    found = {f["cause"]: f for f in report["findings"]}
    # the test file calls class 0 "2", 1 "0" and 2 "1": read back, each test label means the model's unit
    assert found["label_mapping"]["evidence"]["mapping"] == {"0": "1", "1": "2", "2": "0"}
    # the references, fitted on the training rows, agree with the test file only once it is read remapped
    boosted = next(r for r in report["references"] if r["name"] == "gradient_boosting")
    assert boosted["test"]["accuracy"] < 0.3 and boosted["test_remapped"]["accuracy"] > 0.8
    assert found["label_mapping"]["evidence"]["best_reference_test_accuracy_remapped"] == pytest.approx(
        max(r["test_remapped"]["accuracy"] for r in report["references"]), abs=1e-4)


def test_a_real_public_table_with_its_own_test_file(planted):
    """MASS's Pima.tr / Pima.te: standardized outside the model, the doctor finds it and names the
    transform; with the scaling inside the model, nothing is confirmed on the same files."""
    outside = _examine(planted("pima_standardized_outside"))
    assert outside["primary"] == "preprocessing_mismatch"
    assert [c for c, v in _verdicts(outside).items() if v == "confirmed"] == ["preprocessing_mismatch"]
    assert outside["data"]["classes"] == ["No", "Yes"] and outside["data"]["n_test"] == 332
    inside = _examine(planted("pima_healthy"))
    assert "confirmed" not in _verdicts(inside).values(), inside["findings"]
