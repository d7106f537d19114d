"""The seal over Tune's pickled state: what this user's gg-train wrote passes, anything else (edited,
swapped in, added, or sealed under another machine's key) is refused before it is unpickled, and a
state file cut short by a kill is put back from its kept copy."""

from __future__ import annotations

import os
import stat

import pytest

from orchestrator import experiments, state_seal, tune_state
from orchestrator.errors import ExperimentError

STATE = "experiment_state-2026-12-02_01-20-27.json"


@pytest.fixture()
def key(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "seal.key"
    monkeypatch.setenv(state_seal.KEY_ENV, str(path))
    return path


def _experiment(tmp_path, key):
    """A folder as a launch leaves it: tuner.pkl sealed by `record`, one experiment state sealed as Tune saved it."""
    folder = tmp_path / "exp"
    experiments.create(folder, "name: exp\n", {})
    tune = folder / experiments.TUNE_DIR
    tune.mkdir()
    (tune / tune_state.TUNER_STATE).write_bytes(b"gg-train's own tuner state")
    tune_state.record(folder)
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / STATE).write_text('{"trial_data": [], "runner_data": {}}')
    state_seal.seal(folder, experiments.TUNE_DIR, state_seal.state_files(staging), keep_copy=True)
    (tune / STATE).write_bytes((staging / STATE).read_bytes())  # Tune's own copy into the folder
    return folder


def test_the_key_is_made_once_and_readable_by_this_user_only(tmp_path, key):
    _experiment(tmp_path, key)
    first = key.read_bytes()
    assert len(first) == 32 and stat.S_IMODE(os.stat(key).st_mode) == 0o600
    (tmp_path / "again").mkdir()
    _experiment(tmp_path / "again", key)
    assert key.read_bytes() == first


def test_state_gg_train_sealed_passes_and_an_edit_is_refused_before_unpickling(tmp_path, key):
    folder = _experiment(tmp_path, key)
    assert tune_state.ready_for_restore(folder) == []
    state = folder / experiments.TUNE_DIR / STATE
    state.write_text('{"trial_data": [], "runner_data": {"_type": "CLOUDPICKLE_FALLBACK", "value": "80"}}')
    (folder / state_seal.KEPT_DIR / experiments.TUNE_DIR / STATE).write_bytes(state.read_bytes())  # and its kept copy
    with pytest.raises(ExperimentError, match="was not written by gg-train under this user's seal key") as err:
        tune_state.ready_for_restore(folder)
    assert "launch it again with --overwrite" in err.value.one_line()


@pytest.mark.parametrize("name", ["searcher-state-2026-12-02_01-20-27.pkl", "callback-states-2026-12-02_01-20-27.pkl", "tuner.pkl"])
def test_a_pickle_added_or_swapped_in_is_refused(tmp_path, key, name):
    folder = _experiment(tmp_path, key)
    (folder / experiments.TUNE_DIR / name).write_bytes(b"\x80\x04cos\nsystem\n...")
    with pytest.raises(ExperimentError, match=f"{name} was not written by gg-train"):
        tune_state.check_recorded(folder)


def test_a_folder_copied_from_another_machine_is_refused_under_this_machines_key(tmp_path, key, monkeypatch):
    folder = _experiment(tmp_path, key)
    monkeypatch.setenv(state_seal.KEY_ENV, str(tmp_path / "this-machine.key"))
    with pytest.raises(ExperimentError, match=r"tune/\S+ was not written by gg-train") as err:
        tune_state.check_recorded(folder)
    assert "that machine's this-machine.key" in err.value.one_line()


def test_a_state_file_a_kill_cut_short_is_put_back_from_its_kept_copy(tmp_path, key):
    folder = _experiment(tmp_path, key)
    state = folder / experiments.TUNE_DIR / STATE
    whole = state.read_bytes()
    state.write_bytes(whole[:9])  # SIGKILL in the middle of Tune's plain copy
    assert tune_state.ready_for_restore(folder) == [f"{experiments.TUNE_DIR}/{STATE}"]
    assert state.read_bytes() == whole
    state.unlink()  # killed before the copy began
    assert tune_state.ready_for_restore(folder) == [f"{experiments.TUNE_DIR}/{STATE}"]
    assert state.read_bytes() == whole


def test_an_older_seal_still_passes_while_tunes_copy_lags_behind(tmp_path, key):
    """Killed after sealing a newer state but before Tune's copy landed: the folder holds the previous one."""
    folder = _experiment(tmp_path, key)
    staging = tmp_path / "staging"
    (staging / STATE).write_text('{"trial_data": [], "runner_data": {"newer": 1}}')
    state_seal.seal(folder, experiments.TUNE_DIR, state_seal.state_files(staging), keep_copy=False)
    tune_state.check_recorded(folder)
