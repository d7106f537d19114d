"""The experiment folder `runs/<name>/`: created only after every input has been checked, never
over an existing one (unless asked), and its state files written atomically.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import shutil
import socket
import sys
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from orchestrator.folder import state_seal
from orchestrator.errors import ExperimentError
from orchestrator.folder.files import write_json_atomic
from orchestrator.names import is_experiment_name

MANIFEST = "manifest.json"
CONFIG_FILE = "experiment.yaml"
REPORT = "report.json"
BOARD_DIR = "tensorboard"
TUNE_DIR = "tune"  # Ray Tune's storage: tuner.pkl, one folder per trial
CURVE_DIR = "learning_curve"  # the learning curve's trials: the winner's recipe on fractions of train
BEST_DIR = "best"  # the exported, verified model
# manifest.json schema 2: trial counts in the words of tuning.outcomes (report/contract.py upgrades 1).
SCHEMA_VERSION = 2


UMASKS = {"private": 0o077, "group": 0o027}


@contextlib.contextmanager
def permissions(setting: str):
    """`output.permissions`, as this process's umask while a launch or resume runs: set before Ray
    starts, so the local trial workers (children of the raylet it starts) write with it too; the
    caller's umask comes back afterwards."""
    before = os.umask(UMASKS[setting]) if setting in UMASKS else None
    try:
        yield
    finally:
        if before is not None:
            os.umask(before)


def default_name(config_name: str) -> str:
    return f"{config_name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{os.getpid() % 10000:04d}"


def experiment_dir(runs_dir: Path, name: str, overwrite: bool = False) -> Path:
    """Validate `name` and return its folder under `runs_dir`; nothing is created here."""
    if not is_experiment_name(name):
        raise ExperimentError(
            f"experiment name {name!r} is not allowed: it must stay inside the runs folder",
            "use letters, digits, '.', '_' and '-', starting with a letter or digit (no '/' or '..')",
        )
    runs = Path(runs_dir).resolve()
    target = (runs / name).resolve()
    if target.parent != runs:
        raise ExperimentError(f"experiment name {name!r} would escape {runs}", "pick a plain name")
    if runs.exists() and not runs.is_dir():
        raise ExperimentError(f"runs folder {runs} is a file", "pass a folder with --runs-dir")
    if target.exists() and not overwrite:
        raise ExperimentError(f"experiment '{name}' already exists in {runs}", "pick another --name, or pass --overwrite to replace it")
    if target.exists() and overwrite:
        # --overwrite replaces an experiment, never an arbitrary folder, and never one still running.
        if not (target / MANIFEST).is_file():
            raise ExperimentError(f"{target} is not a gg-train experiment, so --overwrite will not delete it", "pick another --name")
        if effective_status(read_manifest(target)) == "running":
            raise ExperimentError(f"experiment '{name}' is still running", "stop it first, or pick another --name")
    if runs.exists() and not os.access(runs, os.W_OK):
        raise ExperimentError(f"the runs folder {runs} is not writable", "pass a writable --runs-dir")
    return target


def existing(runs_dir: Path, name: str) -> Path:
    """The folder of an experiment that must already exist (for tensorboard, report, resume…)."""
    folder = experiment_dir(runs_dir, name, overwrite=True)
    if not (folder / MANIFEST).is_file():
        known = sorted(p.parent.name for p in Path(runs_dir).glob("*/" + MANIFEST)) if Path(runs_dir).is_dir() else []
        raise ExperimentError(f"no experiment '{name}' in {Path(runs_dir).resolve()}",
                              "pass --runs-dir, or one of: " + (", ".join(known[:8]) or "(none there yet)"))
    return folder


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in ("gg-train", "tensorflow", "keras", "ray", "numpy", "scikit-learn"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


@contextlib.contextmanager
def claimed(target: Path, action: str = "launched"):
    """Hold the experiment's name while a launch or resume runs: an exclusive `flock` on
    `.<name>.lock` beside the folder, taken before anything slow starts. A second launch or resume
    of the same name stops at once with one line naming the holder; the kernel drops the lock when
    its holder dies, so a killed launch never leaves the name stuck. The file is removed on release."""
    made = not target.parent.exists()
    path = target.parent / f".{target.name}.lock"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = _locked(path, target.name)
    except OSError as exc:
        _remove_if_empty(target.parent, made)
        raise ExperimentError(f"cannot take the name's lock {path}: {exc.strerror or exc}", "pass a writable --runs-dir") from None
    except BaseException:
        _remove_if_empty(target.parent, made)
        raise
    try:
        handle.truncate(0)
        handle.write(json.dumps({**process_identity(), "action": action}))
        handle.flush()
        yield path
    finally:
        path.unlink(missing_ok=True)  # while still locked: a waiting opener then re-checks the inode
        handle.close()
        _remove_if_empty(target.parent, made)  # bad input leaves no runs folder behind


def _remove_if_empty(folder: Path, made: bool) -> None:
    if made:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _locked(path: Path, name: str):
    """An open, exclusively locked lock file that is still the one at `path` (not one a releasing
    holder just unlinked), or one `ExperimentError` naming who holds it."""
    for _ in range(20):
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read()
            handle.close()
            who = json.loads(holder) if holder.strip().startswith("{") else {}
            raise ExperimentError(f"experiment '{name}' is being {who.get('action', 'launched')} by process "
                                  f"{who.get('pid', '?')} on {who.get('host', '?')}", "wait for it to finish, or pick another --name") from None
        try:
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                return handle
        except FileNotFoundError:
            pass
        handle.close()  # the file was replaced while we waited: lock the new one
    raise ExperimentError(f"cannot take the lock {path}", "check the runs folder")


def create(target: Path, config_yaml: str, manifest: dict, overwrite: bool = False) -> Path:
    """Write the folder under a temporary name, then rename it into place (no half-made folder).
    An existing folder is replaced only with `overwrite` (a race lost to another launch is an error,
    never a deletion of that launch's folder). Its config is sealed with it (`state_seal`): from
    birth, the folder carries the mark `gg-train resume` looks for before trusting anything in it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    mask = os.umask(0)
    os.umask(mask)
    staging.chmod(0o777 & ~mask)  # mkdtemp makes 0700; the folder follows the umask (output.permissions)
    try:
        (staging / CONFIG_FILE).write_text(config_yaml, encoding="utf-8")
        state_seal.seal(staging, state_seal.FOLDER, [staging / CONFIG_FILE])
        write_json_atomic(staging / MANIFEST, {
            "schema_version": SCHEMA_VERSION,
            "name": target.name,
            "status": "running",
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **process_identity(),
            "command": sys.argv,
            "versions": _versions(),
            **manifest,
        })
        if target.exists() and overwrite:  # --overwrite, and every check has passed
            shutil.rmtree(target)
        os.replace(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if target.exists():  # another launch took the name between the check and now
            raise ExperimentError(f"experiment '{target.name}' already exists in {target.parent}", "pick another --name") from None
        raise ExperimentError(f"cannot create {target}: {exc.strerror or exc}", "pass a writable --runs-dir") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def process_identity(pid: int | None = None) -> dict:
    """Who runs an experiment: host, pid, and the process's start time (boot id + start tick from
    /proc), so a dead launch whose pid was reused by another process is not mistaken for alive."""
    pid = os.getpid() if pid is None else pid
    return {"host": socket.gethostname(), "pid": pid, "pid_started": _started(pid)}


def _started(pid) -> str | None:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
        return f"{boot}:{stat.rsplit(')', 1)[1].split()[19]}"  # field 22, counted after the command name
    except (OSError, ValueError, IndexError, TypeError):
        return None


def read_report_json(folder: Path) -> dict | None:
    """report.json as written, or None if it is absent or unreadable (`report.contract.read_report` upgrades it)."""
    try:
        return json.loads((Path(folder) / REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError):
        return False
    return True


def effective_status(manifest: dict) -> str:
    """The recorded status, except that a 'running' experiment whose launch process on this host
    is gone (killed, rebooted, or its pid now belongs to another process) is 'interrupted'."""
    status = manifest.get("status", "unknown")
    if status != "running" or manifest.get("host") != socket.gethostname():
        return status
    pid, started = manifest.get("pid"), manifest.get("pid_started")
    if not _alive(pid) or (started is not None and _started(pid) != started):
        return "interrupted"
    return status


def check_resumable(name: str, manifest: dict) -> None:
    """Only an experiment that neither finished nor is still running can be resumed."""
    status = effective_status(manifest)
    if status == "finished":
        raise ExperimentError(f"experiment '{name}' has already finished", f"gg-train show {name} prints its results")
    if status == "running":
        raise ExperimentError(f"experiment '{name}' is still running (process {manifest.get('pid')} on {manifest.get('host')})",
                              "stop that launch first (Ctrl-C), then resume")


def list_experiments(runs_dir: Path) -> list[tuple[Path, dict]]:
    runs = Path(runs_dir)
    found = []
    for manifest_path in sorted(runs.glob(f"*/{MANIFEST}")) if runs.is_dir() else []:
        try:
            found.append((manifest_path.parent, json.loads(manifest_path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    return found


def update_manifest(folder: Path, **changes) -> dict:
    manifest = read_manifest(folder)
    manifest.update(changes)
    if changes.get("status") in ("finished", "failed", "interrupted"):
        manifest["ended"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json_atomic(folder / MANIFEST, manifest)
    return manifest
