"""Is an experiment's Tune state safe to restore? `tune/tuner.pkl` and Tune's experiment state are
pickles, so `gg-train resume` unpickles only state that this user wrote, that nobody else can
write, that gg-train sealed when Tune wrote it (`state_seal`), and that is whole. Every check runs before Ray
reads a byte of it, and each refusal is one line.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from orchestrator.folder import state_seal
from orchestrator.errors import ExperimentError
from orchestrator.folder.experiments import CONFIG_FILE, CURVE_DIR, TUNE_DIR, read_manifest

TUNER_STATE = "tuner.pkl"


def fingerprint(folder: Path, tune_dir: str = TUNE_DIR) -> str | None:
    try:
        return hashlib.sha256((Path(folder) / tune_dir / TUNER_STATE).read_bytes()).hexdigest()
    except OSError:
        return None


def record(folder: Path, tune_dir: str = TUNE_DIR) -> None:
    """Seal the tuner.pkl Tune just wrote (the rest of Tune's state is sealed as Tune saves it,
    `tuning.seal_callback`), so resume can tell it from any other."""
    path = Path(folder) / tune_dir / TUNER_STATE
    if path.exists():
        state_seal.seal(Path(folder), tune_dir, [path], keep_copy=True)


def unsealed_state(folder: Path) -> list[Path]:
    """Tune state files of a folder that no seal under this user's key vouches for, wherever Tune
    or the seal writes them (`tune/`, `learning_curve/`, their kept copies in `.tune_state/`)."""
    if state_seal.is_genuine(folder):
        return []
    return [path for tune_dir in (TUNE_DIR, CURVE_DIR) for where in (Path(folder), Path(folder) / state_seal.KEPT_DIR)
            for path in state_seal.state_files(where / tune_dir)]


def check_sealed(folder: Path, trust_unsealed: bool = False) -> None:
    """Resume only a folder that this user's gg-train made: one with a file sealed under this
    user's key (a launch seals experiment.yaml as it makes the folder), since resuming unpickles its
    Tune state and imports the model builder its config names. A folder copied in, crafted, or
    from a gg-train before the seal passes only when the user vouches for it
    (`gg-train resume NAME --trust-unsealed`); a sha256 in manifest.json is no seal, whoever wrote
    the pickle could write it too. In a sealed folder, experiment.yaml must be as launched."""
    name = Path(folder).name
    if state_seal.is_genuine(folder):
        if state_seal.matches(folder, state_seal.FOLDER, CONFIG_FILE) is False:
            raise ExperimentError(f"{Path(folder) / CONFIG_FILE} changed since '{name}' was launched (it no longer matches its seal)",
                                  f"put it back as it was, or launch a new experiment; gg-train show/report {name} still read what finished")
        return
    if trust_unsealed:
        return
    found = unsealed_state(folder)
    key = state_seal.key_path()
    raise ExperimentError(f"{found[0] if found else Path(folder) / CONFIG_FILE} carries no seal of your gg-train key {key} "
                          f"(crafted, copied from a machine whose {key.name} you do not have, or from a gg-train before the seal), "
                          "and resuming it runs code (its Tune state unpickled, its model builder imported)",
                          f"gg-train resume {name} --trust-unsealed if you wrote it yourself; otherwise launch it again with "
                          f"--overwrite (gg-train show/report {name} still read what finished)")


def check_recorded(folder: Path, tune_dir: str = TUNE_DIR, trust_unsealed: bool = False) -> None:
    """Refuse Tune state that gg-train did not seal (swapped, copied in, edited, or another tool's).
    A folder without any seal passes only when the user vouches for it (`check_sealed`); those from
    before the seal carry tuner.pkl's sha256 in manifest.json, which still tells an accidental swap."""
    if state_seal.is_genuine(folder):
        state_seal.check(Path(folder), tune_dir)
        return
    check_sealed(folder, trust_unsealed)
    recorded = read_manifest(folder).get("tune_state")
    if recorded is None:
        return
    digest = fingerprint(folder, tune_dir)
    if digest is not None and recorded.get(tune_dir) != digest:
        raise ExperimentError(f"{Path(folder) / tune_dir / TUNER_STATE} is not the Tune state gg-train wrote for '{Path(folder).name}' "
                              "(its sha256 differs from manifest.json); gg-train will not unpickle it",
                              f"launch it again with --overwrite; gg-train show/report {Path(folder).name} still read what finished")


def started_trials(folder: Path, tune_dir: str = TUNE_DIR) -> int:
    """How many trials Tune has started (any status past PENDING), read as JSON, never unpickled,
    from the newest copy of its experiment state that the seal keeps here (`state_seal`): with
    shared storage the trial folders are not on this machine, so counting them alone would say 0.
    The trial folders here count too (experiments from before the kept copies)."""
    here = len(list((Path(folder) / tune_dir).glob("*/result.json")))
    kept = list((Path(folder) / state_seal.KEPT_DIR / tune_dir).glob("experiment_state-*.json"))
    try:
        newest = max(kept, key=lambda p: p.stat().st_mtime, default=None)
        trials = json.loads(newest.read_text(encoding="utf-8"))["trial_data"] if newest is not None else []
        started = sum(json.loads(state).get("status") != "PENDING" for state, _ in trials)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # cut short or another Ray's layout
        return here
    return max(here, started)


def ready_for_restore(folder: Path, trust_unsealed: bool = False) -> list[str]:
    """Every check, in order, for a folder about to be resumed; between the owner and seal checks
    and the rest, state files a kill cut short are put back from their kept copies
    (`state_seal.repair`). Returns the files put back."""
    check_restorable(folder)
    check_sealed(folder, trust_unsealed)
    put_back = [f"{tune_dir}/{name}" for tune_dir in (TUNE_DIR, CURVE_DIR)
                if state_seal.is_genuine(folder) and (Path(folder) / tune_dir).is_dir()
                for name in state_seal.repair(Path(folder), tune_dir)]
    check_tune_state_layout(folder)
    check_tune_state_readable(folder)
    check_recorded(folder, TUNE_DIR, trust_unsealed)
    if (Path(folder) / CURVE_DIR).exists():
        check_recorded(folder, CURVE_DIR, trust_unsealed)
    return put_back


def checked_for_restore(folder: Path, tune_folders: tuple, trust_unsealed: bool = False) -> list[str]:
    """`ready_for_restore` wherever Tune's state lies: with shared storage, its state files are pulled
    into the experiment folder first and pushed back once they pass, so Tune restores what was
    checked (`tuning.storage.TuneFolder`). Returns the files put back."""
    for tune_folder in tune_folders:
        tune_folder.pull_state()
    put_back = ready_for_restore(folder, trust_unsealed) if tune_folders[0].local.exists() else []
    for tune_folder in tune_folders:
        tune_folder.push_state()
    return put_back


def _others_in_group(gid: int) -> list[str]:
    """Users other than this one who belong to group `gid` (as a member or as their primary group)."""
    import grp
    import pwd

    try:
        me = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid with no passwd entry (containers): nobody can be this user by name
        me = None
    try:
        members = set(grp.getgrgid(gid).gr_mem)
    except KeyError:
        return ["(unknown group members)"]
    members |= {u.pw_name for u in pwd.getpwall() if u.pw_gid == gid}
    return sorted(members - {me})


def check_restorable(folder: Path) -> None:
    """Tune's state (tuner.pkl) is a pickle: resume only folders this user wrote and nobody else can
    write, nor whose other Tune folders anybody else can. A group-writable folder (umask 002) is
    fine when nobody else is in that group."""
    beside = [folder / name for name in (CURVE_DIR, state_seal.KEPT_DIR) if (folder / name).is_dir()]
    for path in (folder, folder / TUNE_DIR, *beside):
        info = path.stat()
        if not hasattr(os, "getuid"):
            return
        if info.st_uid != os.getuid():
            raise ExperimentError(f"{path} belongs to another user; gg-train will not unpickle its Tune state", "resume it as its owner")
        if info.st_mode & 0o002:
            raise ExperimentError(f"{path} is writable by every user; gg-train will not unpickle its Tune state",
                                  f"chmod o-w {path} if you trust its contents")
        others = _others_in_group(info.st_gid) if info.st_mode & 0o020 else []
        if others:
            raise ExperimentError(f"{path} is writable by its group, which also holds {', '.join(others[:5])}; "
                                  "gg-train will not unpickle its Tune state", f"chmod g-w {path} if you trust its contents")


# Module paths that gg-train 0.1 (the flat layout) pickled into tune/tuner.pkl; they no longer exist.
_FLAT_LAYOUT_MODULES = (b"orchestrator.search", b"orchestrator.trial", b"orchestrator.tuning\x94")


def check_tune_state_layout(folder: Path) -> None:
    """Tune's state names gg-train's classes by module path; refuse, in one line and before anything
    changes, state written by the 0.1 layout that this version's modules cannot unpickle."""
    try:
        state = (folder / TUNE_DIR / "tuner.pkl").read_bytes()
    except OSError:
        return
    if any(module in state for module in _FLAT_LAYOUT_MODULES):
        raise ExperimentError(f"experiment '{folder.name}' was written by gg-train 0.1, whose Tune state this version cannot restore",
                              f"finish it with gg-train 0.1, or launch it again (--overwrite); gg-train show/report {folder.name} still read it")


def check_tune_state_readable(folder: Path) -> None:
    """Tune's experiment state is JSON; a copy cut short (a disk filled to the last byte while Tune
    wrote it) would make Tune start the experiment afresh and retrain every trial. Refuse instead."""
    for path in sorted((folder / TUNE_DIR).glob("experiment_state-*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ExperimentError(f"Tune's state {path} is cut short (was the disk full?), so resuming would retrain every trial",
                                  f"launch {folder.name} again with --overwrite; gg-train show/report {folder.name} still read what finished") from None
