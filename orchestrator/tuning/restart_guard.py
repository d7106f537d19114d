"""Stops Tune from quietly training every trial again.

When `Tuner.restore` cannot rebuild its state (any exception in `TuneController.resume`), Tune
logs "Failed to restore the run state", says "Restarting experiment", and starts the whole grid
afresh in the same folder: every finished trial trained a second time, the old ones left beside
the new. gg-train watches for that log record while a restored Tuner starts, and a callback's
`setup` (which Tune calls after that start and before its first step, so before any trial or
state file exists) raises instead, when the saved state had trials to lose.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path

from orchestrator.errors import ExperimentError

_CONTROLLER_LOG = "ray.tune.execution.tune_controller"
_FAILED = "Failed to restore the run state"


class _Watch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.failure: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(_FAILED) and self.failure is None:
            cause = record.exc_info[1] if record.exc_info else None
            self.failure = f"{type(cause).__name__}: {cause}"[:200] if cause is not None else "unknown error"


_watch: _Watch | None = None
_saved_trials = 0


def saved_trials(tune_folder: Path) -> int:
    """How many trials the newest saved experiment state holds (plain JSON; nothing unpickled)."""
    states = sorted(Path(tune_folder).glob("experiment_state-*.json"))
    try:
        return len(json.loads(states[-1].read_text(encoding="utf-8"))["trial_data"]) if states else 0
    except (OSError, ValueError, KeyError, TypeError):
        return 0


@contextlib.contextmanager
def restoring(tune_folder: Path):
    """Around a restored Tuner's `fit`: note whether Tune gave up on its saved state."""
    global _watch, _saved_trials
    _watch, _saved_trials = _Watch(), saved_trials(tune_folder)
    log = logging.getLogger(_CONTROLLER_LOG)
    log.addHandler(_watch)
    try:
        yield
    except Exception:
        if tripped() is not None:
            raise tripped() from None
        raise
    finally:
        log.removeHandler(_watch)
        _watch = None


def tripped() -> ExperimentError | None:
    """The refusal, when Tune failed to restore state that held trials; None otherwise."""
    if _watch is None or _watch.failure is None or _saved_trials == 0:
        return None
    return ExperimentError(f"Tune could not restore its saved state of {_saved_trials} trial(s) ({_watch.failure}) and would "
                           "train every trial again; gg-train stopped it before any trial started",
                           "GG_DEBUG=1 shows Tune's error; gg-train show/report still read what finished, or launch again with --overwrite")


def check() -> None:
    """Called from a callback's `setup`: raise the refusal there, before Tune's first step."""
    refusal = tripped()
    if refusal is not None:
        raise refusal
