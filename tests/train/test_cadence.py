"""When a trial's report carries a checkpoint, and that a retry from a sparse checkpoint replays
the missing epochs to the same result."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from orchestrator.train import checkpoint
from orchestrator.train.cadence import EPOCH_ROWS, CheckpointCadence, ReportCadence
from orchestrator.train.loop import run_trial
from tests.train.helpers import FakeReporter, spec


def test_checkpoints_every_k_epochs_at_rungs_and_at_the_end():
    cadence = CheckpointCadence(every=5, rungs=frozenset({3, 9}), seconds=1e9)
    due = [e for e in range(1, 13) if cadence.due(e, final=e == 12)]
    assert due == [3, 5, 9, 10, 12]


def test_a_long_epoch_is_checkpointed_when_the_time_is_up():
    cadence = CheckpointCadence(every=100, seconds=0.0)
    assert cadence.due(1, final=False) and cadence.due(2, final=False)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_auto_checkpoints_once_training_has_cost_ten_checkpoints():
    """A checkpoint that took 0.1 s is followed by the next once 1 s of training has passed."""
    clock = Clock()
    cadence = CheckpointCadence(every=None, seconds=60, clock=clock)
    due = []
    for epoch in range(1, 40):
        clock.now += 0.3  # an epoch of training
        if cadence.due(epoch, final=False):
            with cadence.saving():
                clock.now += 0.1  # writing the checkpoint
            due.append(epoch)
    assert due[0] == 1  # the first one measures what a checkpoint costs
    gaps = {b - a for a, b in zip(due, due[1:])}
    assert gaps == {4}  # 4 epochs × 0.3 s ≥ 10 × 0.1 s > 3 epochs


def test_a_trial_reports_every_epoch_but_checkpoints_only_when_due(data, tmp_path):
    trial_data, setup = data
    reporter = FakeReporter(tmp_path)
    run_trial(spec(epochs=12), dataclasses.replace(setup, checkpoint_every=5, checkpoint_rungs=(3,), checkpoint_seconds=1e9),
              trial_data, reporter)
    assert [m["epoch"] for m, _ in reporter.reports] == list(range(1, 13))
    assert [m["epoch"] for m, _ in reporter.checkpoints()] == [3, 5, 10, 12]


class Killed(Exception):
    pass


def test_a_retry_from_a_sparse_checkpoint_replays_to_the_uninterrupted_result(data, tmp_path):
    """The process dies at epoch 8 with its last checkpoint at 5: the retry trains 6-10 again and
    ends where a run that never died does (row order and dropout streams are keyed, not drawn)."""
    trial_data, setup = data
    setup = dataclasses.replace(setup, checkpoint_every=5, checkpoint_seconds=1e9)
    recipe = spec(kind="dropout", dropout=0.4, epochs=10)
    whole = FakeReporter(tmp_path / "whole")
    run_trial(recipe, setup, trial_data, whole)

    class DiesAtEight(FakeReporter):
        def report(self, metrics, checkpoint_dir):
            super().report(metrics, checkpoint_dir)
            if metrics["epoch"] == 8:
                raise Killed

    dying = DiesAtEight(tmp_path / "dying")
    with pytest.raises(Killed):
        run_trial(recipe, setup, trial_data, dying)
    retried = FakeReporter(tmp_path / "retried", restore=dying.checkpoints()[-1][1])
    run_trial(recipe, setup, trial_data, retried)
    assert [m["epoch"] for m, _ in retried.reports] == [6, 7, 8, 9, 10]
    for replayed, original in zip(retried.reports[:3], dying.reports[5:8]):
        assert replayed[0]["loss"] == pytest.approx(original[0]["loss"], rel=1e-6)
    mine, theirs = (checkpoint.load_model(r.reports[-1][1]).get_weights() for r in (retried, whole))
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_reports_go_every_so_often_or_at_once_when_an_epoch_must_be_seen():
    """Epochs of 0.03 s against a 0.1 s report cadence: the first goes at once, then one report for
    the epochs of each 0.1 s, and an epoch that must be seen goes at once; no row is left out."""
    clock = Clock()
    cadence = ReportCadence(seconds=0.1, clock=clock)
    sent = []
    for epoch in range(1, 12):
        clock.now += 0.03
        rows = cadence.rows({"epoch": epoch}, must=epoch == 5)
        if rows is not None:
            sent.append([r["epoch"] for r in rows])
    assert sent == [[1], [2, 3, 4, 5], [6, 7, 8, 9]]
    assert cadence.rows({"epoch": 12}, must=True) == [{"epoch": 10}, {"epoch": 11}, {"epoch": 12}]


def test_every_epoch_is_reported_when_the_cadence_is_zero():
    cadence = ReportCadence(seconds=0.0, clock=Clock())
    assert [cadence.rows({"epoch": e}, must=False) for e in (1, 2)] == [[{"epoch": 1}], [{"epoch": 2}]]


def test_a_trial_of_quick_epochs_reports_its_rungs_and_last_epoch_and_carries_every_epoch(data, tmp_path):
    """Reports far apart: the first epoch, the checkpointed ones (the rungs, the last) and a held
    one go to Tune; every report carries the rows since the one before, and those rows are the
    reports a trial reporting every epoch sends (the same trial, bit for bit)."""
    trial_data, setup = data
    (tmp_path / "held.release").touch()  # the held epoch goes on at once
    setup = dataclasses.replace(setup, checkpoint_every=100, checkpoint_rungs=(3, 7), checkpoint_seconds=1e9,
                                fault_hold=("v@5", str(tmp_path / "held")))
    every = FakeReporter(tmp_path / "every")
    run_trial(spec(epochs=9), dataclasses.replace(setup, fault_hold=None), trial_data, every)
    sparse = FakeReporter(tmp_path / "sparse")
    state = run_trial(spec(epochs=9), dataclasses.replace(setup, report_seconds=1e9), trial_data, sparse)
    assert [m["epoch"] for m, _ in sparse.reports] == [1, 3, 5, 7, 9]
    assert [m["epoch"] for m, _ in sparse.checkpoints()] == [3, 7, 9]
    carried = [row for m, _ in sparse.reports for row in m[EPOCH_ROWS]]
    assert carried == [{k: v for k, v in m.items() if k in row} for (m, _), row in zip(every.reports, carried)]
    assert [r["epoch"] for r in carried] == list(range(1, 10)) == [h["epoch"] for h in state.history]
    assert all(m[EPOCH_ROWS][-1] == {k: m[k] for k in m[EPOCH_ROWS][-1]} for m, _ in sparse.reports)
