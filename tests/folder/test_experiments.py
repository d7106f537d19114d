"""The experiment folder's trust and liveness rules: who may resume it, and whether its launch lives."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from orchestrator.folder import experiments, state_seal, tune_state
from orchestrator.errors import ExperimentError


def folder_with_tune(tmp_path, mode: int):
    folder = tmp_path / "exp"
    (folder / "tune").mkdir(parents=True)
    for path in (folder, folder / "tune"):
        path.chmod(mode)
    return folder


def test_a_group_writable_folder_under_umask_002_resumes_when_nobody_else_is_in_the_group(tmp_path, monkeypatch):
    monkeypatch.setattr(tune_state, "_others_in_group", lambda gid: [])
    tune_state.check_restorable(folder_with_tune(tmp_path, 0o775))


def test_a_group_with_other_members_or_a_world_writable_folder_is_refused_and_says_who(tmp_path, monkeypatch):
    monkeypatch.setattr(tune_state, "_others_in_group", lambda gid: ["mallory"])
    with pytest.raises(ExperimentError, match="writable by its group, which also holds mallory") as err:
        tune_state.check_restorable(folder_with_tune(tmp_path, 0o775))
    assert "chmod g-w" in err.value.one_line()
    with pytest.raises(ExperimentError, match="writable by every user"):
        tune_state.check_restorable(folder_with_tune(tmp_path / "w", 0o777))


def test_resume_records_this_host_and_process(tmp_path):
    identity = experiments.process_identity()
    assert identity["host"] == socket.gethostname() and identity["pid"] == os.getpid()
    assert identity["pid_started"] == experiments.process_identity()["pid_started"]


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc to tell processes apart")
def test_a_reused_pid_does_not_make_a_dead_experiment_look_alive():
    """The recorded pid now belongs to another live process (this one): the start time tells them apart."""
    child = subprocess.run([sys.executable, "-c", "import json, orchestrator.folder.experiments as e; print(json.dumps(e.process_identity()))"],
                           capture_output=True, text=True, check=True)
    import json

    dead_launch = json.loads(child.stdout)
    manifest = {"status": "running", "host": socket.gethostname(), "pid": os.getpid(), "pid_started": dead_launch["pid_started"]}
    assert experiments.effective_status(manifest) == "interrupted"
    assert experiments.effective_status({**manifest, **experiments.process_identity()}) == "running"


def test_tune_state_of_the_flat_layout_is_refused_in_one_line(tmp_path):
    """gg-train 0.1 pickled `orchestrator.search` and `orchestrator.tuning` classes into tuner.pkl
    (bytes as seen in a real 0.1 experiment); resuming one must say so, not fail deep in unpickling."""
    folder = tmp_path / "old"
    (folder / "tune").mkdir(parents=True)
    (folder / "tune" / "tuner.pkl").write_bytes(b"\x80\x05\x8c\x13orchestrator.search\x94\x8c\x0ePerVariantASHA\x94")
    with pytest.raises(ExperimentError, match="written by gg-train 0.1") as err:
        tune_state.check_tune_state_layout(folder)
    assert "gg-train show/report old still read it" in err.value.one_line()
    (folder / "tune" / "tuner.pkl").write_bytes(b"\x80\x05\x8c\x1dorchestrator.tuning.schedulers\x94\x8c\x0ePerVariantASHA\x94")
    tune_state.check_tune_state_layout(folder)


def test_a_uid_without_a_passwd_entry_still_gets_a_one_line_answer(tmp_path, monkeypatch):
    """Containers run arbitrary uids; the group check must not crash on them."""
    import pwd

    def no_entry(uid):
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    assert isinstance(tune_state._others_in_group(os.getgid()), list)


HOLD = """
import sys, time
from pathlib import Path
from orchestrator.folder import experiments, state_seal, tune_state
with experiments.claimed(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_name_held_by_a_running_launch_is_refused_at_once_and_freed_when_that_launch_dies(tmp_path):
    target = tmp_path / "runs" / "race"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ExperimentError, match=rf"'race' is being launched by process {holder.pid} on"):
            with experiments.claimed(target):
                pass
    finally:
        holder.kill()  # SIGKILL: no clean-up ran, the kernel dropped the lock
        holder.wait()
    with experiments.claimed(target, "resumed") as lock:  # a killed holder never leaves the name stuck
        assert lock.exists()
    assert not lock.exists() and list((tmp_path / "runs").iterdir()) == []


def test_creating_never_deletes_an_existing_folder_unless_overwrite_was_asked(tmp_path):
    target = tmp_path / "runs" / "exp"
    target.mkdir(parents=True)
    (target / "theirs.txt").write_text("another launch's file")
    with pytest.raises(ExperimentError, match="already exists"):
        experiments.create(target, "name: exp\n", {})
    assert (target / "theirs.txt").read_text() == "another launch's file"


def test_tune_state_cut_short_by_a_full_disk_is_refused_rather_than_retrained(tmp_path):
    folder = tmp_path / "exp"
    (folder / experiments.TUNE_DIR).mkdir(parents=True)
    state = folder / experiments.TUNE_DIR / "experiment_state-2026-12-01_23-11-48.json"
    state.write_text('{"trial_data": [["{\\"trial_id\\": \\"a')  # the write stopped at the last free byte
    with pytest.raises(ExperimentError, match=r"cut short \(was the disk full\?\)") as err:
        tune_state.check_tune_state_readable(folder)
    assert "launch exp again with --overwrite" in err.value.one_line()
    state.write_text('{"trial_data": []}')
    tune_state.check_tune_state_readable(folder)


def test_a_tuner_pkl_of_an_older_experiment_that_is_not_the_one_recorded_is_refused(tmp_path):
    """Experiments from before the seal carry tuner.pkl's sha256 in manifest.json; under --trust-unsealed that still holds."""
    folder = tmp_path / "exp"
    experiments.create(folder, "name: exp\n", {})
    (folder / state_seal.SEAL_FILE).unlink()  # no seal at all: let through by --trust-unsealed only
    (folder / experiments.TUNE_DIR).mkdir()
    state = folder / experiments.TUNE_DIR / tune_state.TUNER_STATE
    state.write_bytes(b"gg-train's own tuner state")
    experiments.update_manifest(folder, tune_state={experiments.TUNE_DIR: tune_state.fingerprint(folder)})
    tune_state.check_recorded(folder, trust_unsealed=True)
    state.write_bytes(b"\x80\x04cos\nsystem\n...")  # another tool's pickle put in its place
    with pytest.raises(ExperimentError, match="not the Tune state gg-train wrote .* will not unpickle it"):
        tune_state.check_recorded(folder, trust_unsealed=True)
