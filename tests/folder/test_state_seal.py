"""The seal over Tune's pickled state: what this user's gg-train wrote passes, anything else (edited,
swapped in, added, or sealed under another machine's key) is refused before it is unpickled, and a
state file cut short by a kill is put back from its kept copy."""

from __future__ import annotations

import os
import stat

import pytest

from orchestrator.folder import experiments, state_seal, tune_state
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
    with pytest.raises(ExperimentError, match=r"tune/\S+ carries no seal of your gg-train key") as err:
        tune_state.check_recorded(folder)
    assert "copied from a machine whose this-machine.key you do not have" in err.value.one_line()


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


def _unsealed(tmp_path, where: str, name: str = "tuner.pkl", **manifest):
    """A folder with Tune state and no seal: copied in, crafted, or from a gg-train before the seal."""
    folder = tmp_path / "exp"
    experiments.create(folder, "name: exp\n", manifest)
    (folder / state_seal.SEAL_FILE).unlink()
    (folder / experiments.TUNE_DIR).mkdir(exist_ok=True)
    (folder / where).mkdir(parents=True, exist_ok=True)
    (folder / where / name).write_bytes(b"\x80\x04cos\nsystem\n...")
    return folder


@pytest.mark.parametrize("where, name", [(experiments.TUNE_DIR, "tuner.pkl"), (experiments.CURVE_DIR, "tuner.pkl"),
                                         (experiments.CURVE_DIR, STATE), (f"{state_seal.KEPT_DIR}/{experiments.TUNE_DIR}", "tuner.pkl")])
def test_unsealed_tune_state_anywhere_tune_writes_is_refused_and_names_the_opt_in(tmp_path, key, where, name):
    folder = _unsealed(tmp_path, where, name)
    with pytest.raises(ExperimentError, match=rf"{where}/{name} carries no seal") as err:
        tune_state.ready_for_restore(folder)
    assert "--trust-unsealed" in err.value.one_line() and "runs code" in err.value.one_line()


def test_a_sha256_in_the_manifest_is_no_seal_whoever_wrote_the_pickle_could_write_it_too(tmp_path, key):
    folder = _unsealed(tmp_path, experiments.TUNE_DIR)
    experiments.update_manifest(folder, tune_state={experiments.TUNE_DIR: tune_state.fingerprint(folder)})
    with pytest.raises(ExperimentError, match="carries no seal"):
        tune_state.ready_for_restore(folder)


def test_the_opt_in_resumes_an_unsealed_folder_as_before_and_says_what_it_trusts(tmp_path, key):
    folder = _unsealed(tmp_path, experiments.CURVE_DIR)
    assert tune_state.unsealed_state(folder) == [folder / experiments.CURVE_DIR / "tuner.pkl"]
    assert tune_state.ready_for_restore(folder, trust_unsealed=True) == []
    experiments.update_manifest(folder, tune_state={experiments.TUNE_DIR: "another tuner.pkl's sha256"})
    (folder / experiments.TUNE_DIR / "tuner.pkl").write_bytes(b"not the one recorded")
    with pytest.raises(ExperimentError, match="its sha256 differs"):  # the old check still holds under the opt-in
        tune_state.ready_for_restore(folder, trust_unsealed=True)


def test_a_launch_killed_before_tune_wrote_anything_resumes_on_its_configs_seal(tmp_path, key):
    folder = tmp_path / "exp"
    experiments.create(folder, "name: exp\n", {})
    (folder / experiments.TUNE_DIR).mkdir()
    assert tune_state.ready_for_restore(folder) == []


@pytest.mark.parametrize("seals", [None, "{}", '{".": {"experiment.yaml": ["0000"]}}', "[1, 2]"])
def test_a_folder_without_tune_state_and_without_a_seal_of_this_key_is_refused_too(tmp_path, key, seals):
    """Its config names the model builder that resume would import: a crafted one runs code too.
    An empty, forged or malformed seals.json vouches for nothing."""
    folder = tmp_path / "exp"
    experiments.create(folder, "name: exp\n", {})
    (folder / state_seal.SEAL_FILE).unlink()
    if seals is not None:
        (folder / state_seal.SEAL_FILE).write_text(seals)
    with pytest.raises(ExperimentError, match=r"exp/experiment.yaml carries no seal .* its model builder imported"):
        tune_state.check_sealed(folder)
    tune_state.check_sealed(folder, trust_unsealed=True)


def test_a_config_edited_since_the_launch_is_refused(tmp_path, key):
    folder = _experiment(tmp_path, key)
    (folder / experiments.CONFIG_FILE).write_text("name: exp\nmodel: {builder: /tmp/theirs.py:build}\n")
    with pytest.raises(ExperimentError, match=r"experiment.yaml changed since 'exp' was launched") as err:
        tune_state.check_sealed(folder, trust_unsealed=True)  # the opt-in is for folders without a seal, not edited ones
    assert "launch a new experiment" in err.value.one_line()


def test_a_pickle_planted_in_a_sealed_experiments_learning_curve_or_kept_copies_is_never_used(tmp_path, key):
    folder = _experiment(tmp_path, key)
    (folder / experiments.CURVE_DIR).mkdir()
    kept = folder / state_seal.KEPT_DIR / experiments.CURVE_DIR
    kept.mkdir(parents=True)
    (kept / "tuner.pkl").write_bytes(b"\x80\x04cos\nsystem\n...")
    assert tune_state.ready_for_restore(folder) == []  # an unsealed kept copy is not put back
    assert not (folder / experiments.CURVE_DIR / "tuner.pkl").exists()
    (folder / experiments.CURVE_DIR / "tuner.pkl").write_bytes(b"\x80\x04cos\nsystem\n...")
    with pytest.raises(ExperimentError, match=r"learning_curve/tuner.pkl was not written by gg-train"):
        tune_state.ready_for_restore(folder)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o660])
def test_a_seal_key_others_can_read_or_write_is_refused_with_the_chmod(tmp_path, key, mode):
    folder = _experiment(tmp_path, key)
    key.chmod(mode)
    with pytest.raises(ExperimentError, match=f"seal key {key} is readable or writable by other users") as err:
        tune_state.ready_for_restore(folder)
    assert f"chmod 600 {key}" in err.value.one_line()
    key.chmod(0o600)
    tune_state.ready_for_restore(folder)


def test_a_seal_key_owned_by_another_user_is_refused(tmp_path, key, monkeypatch):
    folder = _experiment(tmp_path, key)
    monkeypatch.setattr(state_seal.os, "getuid", lambda: os.stat(key).st_uid + 1)
    with pytest.raises(ExperimentError, match=f"seal key {key} belongs to another user") as err:
        state_seal.check(folder, experiments.TUNE_DIR)
    assert state_seal.KEY_ENV in err.value.one_line()
