"""Work that overlaps other work in the driver: one function in a thread, its result (or its
exception) handed to whoever waits for it.

A launch's fixed costs are mostly waits: Ray's processes starting, trials running in Ray workers,
the export proof's fresh process. The driver's own work (TensorFlow's import, the held-out
evaluation) runs in such a wait instead of after it (`launch`, `tuning.cluster.connect`). The thread is not a daemon: an interpreter that exits while the work
still runs (a bad input found meanwhile, Ctrl-C) waits for it, rather than finalizing under a
half-imported TensorFlow.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """`work()` started now in its own thread; `result()` waits for it and returns or raises what it did."""

    def __init__(self, work: Callable[[], T], name: str) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), name=f"gg-{name}")
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            self._value = work()
        except BaseException as exc:  # handed to result(): the caller's thread decides what it means
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
