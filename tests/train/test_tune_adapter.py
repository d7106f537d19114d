"""The Tune reporter: a report without a checkpoint overlaps the next epoch instead of waiting out
Tune's round trip; order, stops and checkpoints stay as a blocking report has them. Tune's
`tune.report` is replaced by a recorder whose round trip the test holds open."""

from __future__ import annotations

import threading

import pytest

from orchestrator.train import tune_adapter
from orchestrator.train.tune_adapter import TuneReporter


class HeldTune:
    """Stands in for `tune.report`: records (epoch, checkpoint given, calling thread); the epochs in
    `hold` wait for `release` (Tune's driver taking its time), those in `stop` raise SystemExit as
    Tune's session does when it ends a trial inside a report."""

    def __init__(self, hold=(), stop=()):
        self.sent, self.hold, self.stop, self.release = [], set(hold), set(stop), threading.Event()

    def report(self, metrics, checkpoint=None):
        if metrics["epoch"] in self.hold:
            self.release.wait(10)
        if metrics["epoch"] in self.stop:
            raise SystemExit(0)
        self.sent.append((metrics["epoch"], checkpoint is not None, threading.current_thread() is threading.main_thread()))


@pytest.fixture
def held(monkeypatch):
    def install(**kw):
        fake = HeldTune(**kw)
        monkeypatch.setattr(tune_adapter.tune, "report", fake.report)
        monkeypatch.setattr(tune_adapter, "_node_id", lambda: "node")
        return fake
    return install


def test_a_report_without_checkpoint_returns_while_tune_still_holds_it_and_reports_keep_their_order(held):
    tune = held(hold={2})
    reporter = TuneReporter()
    reporter.report({"epoch": 1}, None)  # the first: no epoch length known yet, so it waits
    reporter.report({"epoch": 2}, None)  # returns with epoch 2 still in Tune's hands: the next epoch trains meanwhile
    assert [e for e, *_ in tune.sent] == [1] and not tune.release.is_set()
    tune.release.set()
    reporter.report({"epoch": 3}, None)  # sent only after epoch 2's report came back
    reporter.flush()
    assert [e for e, *_ in tune.sent] == [1, 2, 3]


def test_tune_stopping_the_trial_inside_an_overlapped_report_ends_it_at_the_next(held):
    tune = held(stop={2})
    reporter = TuneReporter()
    reporter.report({"epoch": 1}, None)
    reporter.report({"epoch": 2}, None)
    with pytest.raises(SystemExit):
        reporter.report({"epoch": 3}, None)
    assert [e for e, *_ in tune.sent] == [1]  # nothing after the stop reaches Tune


def test_checkpoint_and_last_reports_are_sent_before_report_returns(held, tmp_path):
    tune = held()
    reporter = TuneReporter()
    reporter.report({"epoch": 1}, None)
    reporter.report({"epoch": 2}, None)
    reporter.report({"epoch": 3}, tmp_path)  # a rung epoch: ASHA decides there, the trial waits for it
    assert tune.sent[-1] == (3, True, True)
    reporter.report({"epoch": 4}, None)
    reporter.report({"epoch": 5, "final": True}, None)
    assert tune.sent[-1] == (5, False, True) and [e for e, *_ in tune.sent] == [1, 2, 3, 4, 5]
    assert not tune.sent[1][2] and not tune.sent[3][2]  # the others went from the reporting thread


def test_long_epochs_report_as_before(held, monkeypatch):
    """A stop inside an overlapped report costs one more epoch: only short epochs overlap."""
    tune = held()
    monkeypatch.setattr(tune_adapter, "OVERLAP_BELOW_S", 0.0)
    reporter = TuneReporter()
    for epoch in (1, 2, 3):
        reporter.report({"epoch": epoch}, None)
    assert all(on_caller for *_, on_caller in tune.sent)
