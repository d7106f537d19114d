"""The doctor lists causes by the test accuracy their repair regains; on a tie it follows the launch
headline's order (`results.severity`), so a train/test overlap leads an imbalance in both."""

from __future__ import annotations

from orchestrator.checkup.causes import primary, ranked
from orchestrator.checkup.exam import finding


def confirmed(cause: str, regained: float = 0.0) -> dict:
    return finding(cause, "confirmed", f"{cause} found.", "a rule", fix="fix it", regained=regained)


def test_on_a_tie_an_overlap_leads_an_imbalance_and_a_small_test_set():
    # The doctor's run order puts class_imbalance before train_test_overlap: that used to decide the tie.
    findings = [confirmed("class_imbalance"), confirmed("train_test_overlap"), confirmed("small_test_set"),
                finding("overfitting", "ruled_out", "No.", "a rule")]
    assert [f["cause"] for f in ranked(findings)] == ["train_test_overlap", "class_imbalance", "small_test_set", "overfitting"]
    assert primary(findings) == "train_test_overlap"


def test_accuracy_regained_still_decides_and_mechanical_causes_stay_first_on_a_tie():
    findings = [confirmed("underfitting", 0.05), confirmed("train_test_overlap"), confirmed("output_scale")]
    assert [f["cause"] for f in ranked(findings)] == ["underfitting", "output_scale", "train_test_overlap"]
    assert primary(findings) == "underfitting"
