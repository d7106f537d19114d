"""Where a user finds what the trials said: an errored trial's traceback (Tune's error file, with the
worker's traceback) kept in runs/NAME/logs/trials/<trial>.log and named in its progress line, and
the workers' stdout and stderr (TensorFlow's lines in each trial), which Ray keeps in its session
logs, copied to runs/NAME/logs/ray/. None of it reaches the console (`logfile`)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

from orchestrator.driver.logfile import LOGS_DIR
from orchestrator.names import trial_name

TRIAL_LOGS = "trials"  # runs/NAME/logs/trials/<trial>.log
WORKER_LOGS = "ray"  # runs/NAME/logs/ray/worker-*.out|err


def errors_folder(exp_dir: Path) -> str:
    """Where `kept_error` keeps errored trials' tracebacks (a str: the callback holding it is pickled)."""
    return str(Path(exp_dir) / LOGS_DIR / TRIAL_LOGS)


def kept_error(trial, folder: str | None) -> dict:
    """{"error": its last line, "log": where its whole traceback now is}: Tune's error file (what the
    worker raised, with the worker's traceback) copied to the experiment's logs/trials/."""
    source = trial.error_file
    if not source or not os.path.isfile(source):
        return {}
    with open(source, encoding="utf-8", errors="replace") as handle:
        lines = [line.strip() for line in handle if line.strip()]
    kept = source
    if folder:
        kept = str(Path(folder) / f"{trial_name(trial.config['variant'], trial.trial_id)}.log")
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, kept)
    return {"error": _short(lines[-1]) if lines else "", "log": kept}


def _short(error: str, limit: int = 160) -> str:
    """'ModelError: the message', at most `limit` characters: the module path of the class dropped."""
    error = re.sub(r"^(?:\w+\.)+(\w+:)", r"\1", error)
    return error if len(error) <= limit else error[:limit - 1] + "…"


def keep_worker_logs(exp_dir: Path) -> Path | None:
    """Trials' own output (TensorFlow's lines in each worker) stays in Ray's session logs, never on the
    console; the workers' stdout and stderr files on this machine are copied to the experiment's
    logs/ray/ when the trials end. Other nodes keep theirs in their own session logs."""
    import ray

    node = getattr(ray._private.worker, "_global_node", None)  # None when joined through ray://
    if node is None:
        return None
    target = Path(exp_dir) / LOGS_DIR / WORKER_LOGS
    target.mkdir(parents=True, exist_ok=True)
    for source in Path(node.get_logs_dir_path()).glob("worker-*"):
        with contextlib.suppress(OSError):  # a worker's file rotated away meanwhile: what is left is kept
            shutil.copyfile(source, target / source.name)
    return target
