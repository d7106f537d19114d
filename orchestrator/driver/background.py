"""Work that overlaps other work in the driver: one function in a thread, its result (or its
exception) handed to whoever waits for it.

A launch's fixed costs are mostly waits: Ray's processes starting, trials running in Ray workers,
the export proof's fresh process. The driver's own work (TensorFlow's import, the held-out
evaluation) runs in such a wait instead of after it (`launch`, `tuning.cluster.connect`). `concurrent.futures` runs it: its threads are not daemons,
so an interpreter that exits while the work still runs (a bad input found meanwhile, Ctrl-C) waits
for it, rather than finalizing under a half-imported TensorFlow.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")


def in_background(work: Callable[[], T], name: str) -> Future:
    """`work()` started now in a thread named `gg-<name>…`; the future's `result()` waits for it and
    returns or raises what it did. The pool takes nothing more, and its thread ends with the work."""
    pool = ThreadPoolExecutor(1, thread_name_prefix=f"gg-{name}")
    try:
        return pool.submit(work)
    finally:
        pool.shutdown(wait=False)
