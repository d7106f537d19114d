"""A seal over the Tune state files that `Tuner.restore` unpickles: `tuner.pkl`, the
`experiment_state-*.json` (JSON with cloudpickled values inside), the searcher's and callbacks'
states. Each is sealed with an HMAC-SHA256 under a key only this user can read
(`~/.config/gg-train/seal.key`, made on first use, mode 0600), at the moment Tune writes it, and
`gg-train resume` refuses a folder holding one that is not sealed with this key, before Ray reads
a byte. Unlike a checksum kept beside the files, a seal cannot be forged by whoever wrote the
folder: a folder copied from another machine, another tool's state, or state edited since is
refused. Ray's pickled trial errors (`error.pkl`) are never needed: their text is in `error.txt`,
so they are removed before a restore instead of being sealed (`tuning.storage.TuneFolder`).
The key itself must be this user's and nobody else's to read or write (mode 0600): whoever can
read it can seal a pickle of their own, whoever can write it can choose it.

The same moment keeps a copy of each state file, written atomically, in `.tune_state/`: Tune copies
its staging folder into the experiment with a plain write, so a kill during that copy leaves a
state file cut short, which Tune would take for no state at all and start every trial again.
`repair` puts the kept copy back in its place before a restore.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path

from orchestrator.errors import ExperimentError
from orchestrator.folder.files import write_bytes_atomic, write_json_atomic

KEY_ENV = "GG_SEAL_KEY"  # another key file, yours and mode 0600 like the default ~/.config/gg-train/seal.key
KEPT_DIR = ".tune_state"  # in the experiment folder: the seals, and an atomic copy of each state file
SEAL_FILE = f"{KEPT_DIR}/seals.json"  # {tune folder: {state file: [recent seals]}}
FOLDER = "."  # in the seals, the experiment folder's own files: experiment.yaml, sealed as the folder is made
STATE_PATTERNS = ("tuner.pkl", "experiment_state-*.json", "basic-variant-state-*.json", "searcher-state-*.pkl",
                  "callback-states-*.pkl")
KEEP = 4  # seals kept per file: a kill may land after a seal and before Tune's copy reaches the folder


def key_path() -> Path:
    return Path(os.environ.get(KEY_ENV) or "~/.config/gg-train/seal.key").expanduser()


def _key() -> bytes:
    path = key_path()
    key = _key_at(str(path))
    _check_private(path)  # every use, not once: the bytes are cached, the file's mode may change
    return key


def check_key() -> None:
    """Refuse, in one line, a seal key that is not this user's alone (made here if there is none):
    before a launch creates its folder and before a resume trusts any seal."""
    _key()


def _check_private(path: Path) -> None:
    info = path.stat()
    if info.st_uid != os.getuid():
        raise ExperimentError(f"the seal key {path} belongs to another user, who could seal a pickle for gg-train resume to unpickle",
                              f"point {KEY_ENV} at a key file of your own, or remove {path} (gg-train makes a new one; "
                              "experiments sealed under the old one must be launched again)")
    if info.st_mode & 0o077:
        raise ExperimentError(f"the seal key {path} is readable or writable by other users (mode {stat.S_IMODE(info.st_mode):04o}), "
                              "who could seal a pickle for gg-train resume to unpickle", f"chmod 600 {path}")


@functools.lru_cache(maxsize=4)
def _key_at(where: str) -> bytes:
    """The seal key at `where`, made (32 random bytes, readable by this user only) on first use;
    read once per process, not once per state file at every Tune save."""
    path = Path(where)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another launch made it a moment ago
            return path.read_bytes()
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
        return path.read_bytes()


def _seal(data: bytes) -> str:
    return hmac.new(_key(), data, hashlib.sha256).hexdigest()


def is_state_file(name: str) -> bool:
    """Whether a file of this name in a Tune folder is one that a restore deserialises."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in STATE_PATTERNS)


def state_files(folder: Path) -> list[Path]:
    """The files in a Tune folder that a restore deserialises."""
    return sorted(p for p in Path(folder).glob("*") if p.is_file() and is_state_file(p.name))


def _read(exp_dir: Path) -> dict:
    """The seals as {folder: {file: [seals]}}; anything else in seals.json (cut short, crafted) as none."""
    try:
        seals = json.loads((Path(exp_dir) / SEAL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(seals, dict):
        return {}
    return {folder: {name: marks for name, marks in files.items() if isinstance(marks, list)}
            for folder, files in seals.items() if isinstance(files, dict)}


def seal(exp_dir: Path, tune_dir: str, files: list[Path], keep_copy: bool = False) -> None:
    """Seal `files` (Tune's state as it is about to reach `exp_dir/tune_dir`) under their names,
    and with `keep_copy` keep an atomic copy of each in `.tune_state/<tune_dir>/`."""
    seals = _read(exp_dir)
    folder = seals.setdefault(tune_dir, {})
    kept = Path(exp_dir) / KEPT_DIR / tune_dir
    kept.mkdir(parents=True, exist_ok=True)
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        mark = _seal(data)
        folder[path.name] = [*(s for s in folder.get(path.name, []) if s != mark), mark][-KEEP:]
        if keep_copy:
            write_bytes_atomic(kept / path.name, data)
    write_json_atomic(Path(exp_dir) / SEAL_FILE, seals)


def repair(exp_dir: Path, tune_dir: str) -> list[str]:
    """Put back the kept copy of each state file that is missing, cut short or unsealed in the tune
    folder (a kill during Tune's copy). Returns the names put back."""
    seals, restored = _read(exp_dir).get(tune_dir, {}), []
    for copy in sorted((Path(exp_dir) / KEPT_DIR / tune_dir).glob("*")):
        target = Path(exp_dir) / tune_dir / copy.name
        marks = seals.get(copy.name, [])
        if not target.parent.is_dir() or _seal(copy.read_bytes()) not in marks:
            continue
        if not target.exists() or _seal(target.read_bytes()) not in marks:
            write_bytes_atomic(target, copy.read_bytes())
            restored.append(copy.name)
    return restored


def matches(exp_dir: Path, folder: str, name: str) -> bool | None:
    """Whether `folder/name` is as this key sealed it (one of its recent seals); None if never sealed."""
    marks = _read(exp_dir).get(folder, {}).get(name)
    if marks is None:
        return None
    try:
        return _seal((Path(exp_dir) / folder / name).read_bytes()) in marks
    except OSError:
        return False


def is_genuine(exp_dir: Path) -> bool:
    """Whether a file of this folder is as this user's key sealed it: a folder this user's gg-train
    made. A seals.json that is empty, crafted or another key's does not count."""
    return any(matches(exp_dir, folder, name) for folder, files in _read(exp_dir).items() for name in files)


def check(exp_dir: Path, tune_dir: str) -> None:
    """Refuse, in one line, a Tune folder holding a state file that this key did not seal as it is now."""
    folder = _read(exp_dir).get(tune_dir, {})
    for path in state_files(Path(exp_dir) / tune_dir):
        if _seal(path.read_bytes()) not in folder.get(path.name, []):
            raise ExperimentError(
                f"{path} was not written by gg-train under this user's seal key ({key_path()}); gg-train will not unpickle it",
                f"launch it again with --overwrite (a folder copied from another machine also needs that machine's {key_path().name}); "
                f"gg-train show/report {Path(exp_dir).name} still read what finished")

