"""The experiment folder `runs/<name>/`: created only after every input has been checked, never
over an existing one (unless asked), and its state files written atomically.
"""

from __future__ import annotations

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

from orchestrator.errors import ExperimentError
from orchestrator.files import write_json_atomic
from orchestrator.names import is_experiment_name

MANIFEST = "manifest.json"
CONFIG_FILE = "experiment.yaml"
REPORT = "report.json"
BOARD_DIR = "tensorboard"
SCHEMA_VERSION = 1  # of manifest.json


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


def create(target: Path, config_yaml: str, manifest: dict) -> Path:
    """Write the folder under a temporary name, then rename it into place (no half-made folder)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        (staging / CONFIG_FILE).write_text(config_yaml, encoding="utf-8")
        write_json_atomic(staging / MANIFEST, {
            "schema_version": SCHEMA_VERSION,
            "name": target.name,
            "status": "running",
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": sys.argv,
            "versions": _versions(),
            **manifest,
        })
        if target.exists():  # --overwrite, and every check has passed
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


def check_restorable(folder: Path) -> None:
    """Tune's state (tuner.pkl) is a pickle: resume only folders this user wrote and nobody else can."""
    for path in (folder, folder / "tune"):
        info = path.stat()
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise ExperimentError(f"{path} belongs to another user; gg-train will not unpickle its Tune state", "resume it as its owner")
        if info.st_mode & 0o022:
            raise ExperimentError(f"{path} is writable by others; gg-train will not unpickle its Tune state",
                                  f"chmod go-w {path} if you trust its contents")


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
    is gone (killed, rebooted) is 'interrupted'."""
    status = manifest.get("status", "unknown")
    if status == "running" and manifest.get("host") == socket.gethostname() and not _alive(manifest.get("pid")):
        return "interrupted"
    return status


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
