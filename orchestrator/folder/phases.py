"""The phases of a launch, recorded in manifest.json so that `gg-train list` can say where a killed
launch stopped, and the one fault-injection point the kill tests use.

A launch goes data → ray → training → learning_curve → evaluation → export → report. The first two
run before the experiment folder exists (a kill there leaves nothing to resume: launch again).

`GG_FAULT_HOLD=<phase>` makes the process wait forever when it enters that phase, after touching
the file named by `GG_FAULT_MARK`, so a test can SIGKILL it at a known point instead of racing a
poll against a phase that lasts a second. `GG_FAULT_HOLD=<variant>@<epoch>` holds the first trial
of that variant that reports that epoch (`hold_trial`; the driver hands the pair to the trials in
`TrialSetup.fault_hold`): a trial's epochs can take milliseconds. It changes nothing else and is
unset in normal use.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

DATA = "data"
RAY = "ray"
TRAINING = "training"
LEARNING_CURVE = "learning_curve"
EVALUATION = "evaluation"
EXPORT = "export"
REPORT = "report"
ORDER = (DATA, RAY, TRAINING, LEARNING_CURVE, EVALUATION, EXPORT, REPORT)


def enter(phase: str, exp_dir: Path | None = None) -> None:
    """Record `phase` in the experiment's manifest (once the folder exists), then honour a hold."""
    if exp_dir is not None:
        from orchestrator.folder.experiments import update_manifest

        update_manifest(exp_dir, phase=phase)
    if os.environ.get("GG_FAULT_HOLD") == phase:
        _hold(phase)


def _hold(phase: str) -> None:
    mark = os.environ.get("GG_FAULT_MARK")
    if mark:
        Path(mark).write_text(phase, encoding="utf-8")
    while True:
        time.sleep(3600)


def trial_hold() -> tuple[str, str] | None:
    """(`<variant>@<epoch>`, the mark file) when GG_FAULT_HOLD names a trial's epoch, for `TrialSetup`."""
    hold = os.environ.get("GG_FAULT_HOLD", "")
    return (hold, os.environ.get("GG_FAULT_MARK", "")) if "@" in hold else None


def holds(fault_hold: tuple[str, str] | None, variant: str, epoch: int) -> bool:
    """Whether this trial waits after reporting `epoch` (so that epoch's report must go to Tune)."""
    return fault_hold is not None and fault_hold[0] == f"{variant}@{epoch}" and not Path(fault_hold[1]).exists()


def hold_trial(fault_hold: tuple[str, str] | None, variant: str, epoch: int) -> None:
    """In a trial, after it reported `epoch`: the first to match writes its pid to the mark file
    and waits, to be killed or released (a file `<mark>.release`: then it trains on, and a stop
    Tune sent meanwhile ends it at its next report); a restarted trial finds the mark and goes on."""
    if not holds(fault_hold, variant, epoch):
        return
    Path(fault_hold[1]).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 300  # a test that never kills nor releases it fails, rather than hangs
    while not Path(fault_hold[1] + ".release").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
