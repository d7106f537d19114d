"""A report that stands for several epochs becomes one result row per epoch, each as a report of
its own epoch would have been."""

from __future__ import annotations

from orchestrator.train.cadence import EPOCH_ROWS
from orchestrator.tuning.epoch_rows import epoch_rows


def test_each_epoch_gets_its_own_row_with_what_the_report_shares():
    rows = [{"epoch": 4, "val_loss": 0.5, "final": False}, {"epoch": 5, "val_loss": 0.6, "final": False},
            {"epoch": 6, "val_loss": 0.5, "final": True, "restored_best": True, "best_epoch": 4}]
    report = {**rows[-1], "pid": 7, "training_iteration": 3, EPOCH_ROWS: rows}
    assert epoch_rows(report) == [
        {"pid": 7, "training_iteration": 3, "epoch": 4, "val_loss": 0.5, "final": False},
        {"pid": 7, "training_iteration": 3, "epoch": 5, "val_loss": 0.6, "final": False},
        {"pid": 7, "training_iteration": 3, "epoch": 6, "val_loss": 0.5, "final": True, "restored_best": True, "best_epoch": 4},
    ]  # what only the last epoch's row says (restored_best, best_epoch) is not lent to the others


def test_a_report_without_rows_is_its_own_row():
    report = {"epoch": 2, "val_loss": 0.4, "training_iteration": 2}
    assert epoch_rows(report) == [report]
