"""`orchestrator.driver.background`: the driver's work in a thread, its value or its exception handed to the waiter."""

from __future__ import annotations

import threading

import pytest

from orchestrator.driver.background import in_background


def test_the_waiter_gets_the_value_computed_in_another_thread():
    work = in_background(lambda: threading.current_thread().name, "named")
    assert work.result().startswith("gg-named")


def test_the_waiter_meets_the_exception_the_work_raised():
    def broken():
        raise KeyError("from the background")

    with pytest.raises(KeyError, match="from the background"):
        in_background(broken, "broken").result()


def test_an_exit_waits_for_the_work_instead_of_finalizing_under_it():
    gate = threading.Event()
    work = in_background(gate.wait, "held")
    (thread,) = [t for t in threading.enumerate() if t.name.startswith("gg-held")]
    assert not thread.daemon  # the interpreter joins it at exit
    gate.set()
    assert work.result() is True
