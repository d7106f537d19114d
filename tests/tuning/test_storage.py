"""Shared storage on a real S3-compatible server (moto, 127.0.0.1): the marker a driver writes is
what every node's probe looks for; storage the driver cannot write is one line; Tune's state goes
to and from storage only through the seal checks, so state changed in the bucket is refused and
the driver's sealed copy is what Tune restores; checkpoints and TensorBoard runs come back into
the experiment folder."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs
import pytest

from orchestrator.folder import state_seal
from orchestrator.errors import ClusterError, ExperimentError
from orchestrator.tuning.cluster import _make_probe
from orchestrator.tuning.storage import TuneFolder, root, write_marker, remove


def _put(uri: str, data: bytes) -> None:
    fs, path = pafs.FileSystem.from_uri(uri)
    with fs.open_output_stream(path) as out:
        out.write(data)


def _get(uri: str) -> bytes:
    fs, path = pafs.FileSystem.from_uri(uri)
    with fs.open_input_stream(path) as source:
        return source.read()


def test_a_nodes_probe_sees_the_marker_the_driver_wrote_and_not_once_it_is_removed(s3_bucket):
    probe = _make_probe()
    marker = write_marker(f"{s3_bucket}/runs")
    assert marker.startswith(f"{s3_bucket}/runs/.gg-shared-")
    assert probe(marker, ())["sees"] is True
    remove(marker)
    assert probe(marker, ())["sees"] is False


def test_storage_the_driver_cannot_write_is_one_line_that_names_it(s3_server, monkeypatch):
    for key, value in s3_server.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ClusterError) as err:
        write_marker("s3://no-such-bucket-gg/runs")
    line = err.value.one_line()
    assert line.startswith("cluster error: storage s3://no-such-bucket-gg/runs is not writable from this driver:")
    assert "\n" not in line and "credentials" in line


def test_the_storage_root_is_the_experiments_place_in_storage(tmp_path):
    assert root(None, tmp_path / "exp") == str((tmp_path / "exp").resolve())
    assert root("s3://bucket/team/", tmp_path / "exp") == "s3://bucket/team/exp"
    assert root(str(tmp_path / "nfs"), Path("runs/exp")) == f"{tmp_path / 'nfs'}/exp"


def _sealed_experiment(tmp_path: Path, monkeypatch, bucket: str) -> tuple[TuneFolder, bytes]:
    """An experiment whose Tune state (as Tune writes it) is sealed here and lies in the bucket."""
    monkeypatch.setenv(state_seal.KEY_ENV, str(tmp_path / "seal.key"))
    exp_dir, staging = tmp_path / "exp", tmp_path / "staging"
    exp_dir.mkdir()
    staging.mkdir()
    tuner = b"\x80\x04K\x01."  # a pickle as Tune would write it
    (staging / "tuner.pkl").write_bytes(tuner)
    (staging / "experiment_state-2026.json").write_text('{"trial_data": []}')
    state_seal.seal(exp_dir, "tune", state_seal.state_files(staging), keep_copy=True)
    folder = TuneFolder(exp_dir, "tune", f"{bucket}/runs")
    for path in state_seal.state_files(staging):
        _put(f"{folder.path}/{path.name}", path.read_bytes())
    return folder, tuner


def test_state_pulled_from_storage_passes_the_seal_and_changed_state_does_not(s3_bucket, tmp_path, monkeypatch):
    folder, tuner = _sealed_experiment(tmp_path, monkeypatch, s3_bucket)
    folder.pull_state()
    assert (folder.local / "tuner.pkl").read_bytes() == tuner
    state_seal.check(folder.exp_dir, "tune")  # what gg-train wrote passes
    _put(f"{folder.path}/tuner.pkl", b"\x80\x04cos\nsystem\n(S'echo owned'\ntR.")  # someone with write access to the bucket
    folder.pull_state()
    with pytest.raises(ExperimentError, match="gg-train will not unpickle it"):
        state_seal.check(folder.exp_dir, "tune")


def test_the_sealed_copy_is_what_goes_back_to_storage_before_a_restore(s3_bucket, tmp_path, monkeypatch):
    folder, tuner = _sealed_experiment(tmp_path, monkeypatch, s3_bucket)
    _put(f"{folder.path}/tuner.pkl", tuner[:3])  # cut short in the bucket
    folder.pull_state()
    assert state_seal.repair(folder.exp_dir, "tune") == ["tuner.pkl"]  # the kept copy, put back locally
    folder.push_state()
    assert _get(f"{folder.path}/tuner.pkl") == tuner  # and in storage, where Tune restores from


def test_pickled_trial_errors_are_removed_from_storage_and_their_text_kept(s3_bucket, tmp_path):
    folder = TuneFolder(tmp_path / "exp", "tune", f"{s3_bucket}/runs")
    _put(f"{folder.path}/baseline_0/error.pkl", b"\x80\x04cos\nsystem\n...")
    _put(f"{folder.path}/baseline_0/error.txt", b"ActorDiedError: the worker process has died")
    folder.drop_pickled_errors()
    fs, path = pafs.FileSystem.from_uri(f"{folder.path}/baseline_0")
    assert sorted(Path(f.path).name for f in fs.get_file_info(pafs.FileSelector(path))) == ["error.txt"]


def test_pickled_trial_errors_are_removed_from_a_local_tune_folder(tmp_path):
    trial = tmp_path / "tune" / "baseline_0"
    trial.mkdir(parents=True)
    (trial / "error.pkl").write_bytes(b"\x80\x04cos\nsystem\n...")
    (trial / "error.txt").write_text("ActorDiedError: the worker process has died")
    TuneFolder(tmp_path, "tune").drop_pickled_errors()
    assert not (trial / "error.pkl").exists() and (trial / "error.txt").exists()


def test_a_checkpoint_and_the_tensorboard_runs_come_back_from_storage(s3_bucket, tmp_path):
    from ray.tune import Checkpoint

    folder = TuneFolder(tmp_path / "exp", "tune", f"{s3_bucket}/runs")
    trial = f"{folder.path}/baseline_0"
    _put(f"{trial}/checkpoint_000003/state.json", b'{"epoch": 3}')
    _put(f"{trial}/tensorboard/baseline_0/train/events.out.tfevents.1", b"scalars")
    fs, path = pafs.FileSystem.from_uri(f"{trial}/checkpoint_000003")
    local = folder.fetch(Checkpoint(path, filesystem=fs))
    assert Path(local) == tmp_path / "exp" / "checkpoints" / "tune" / "baseline_0"
    assert (Path(local) / "state.json").read_text() == '{"epoch": 3}'
    assert folder.pull_boards(tmp_path / "exp" / "tensorboard") == 1
    assert (tmp_path / "exp" / "tensorboard" / "baseline_0" / "train" / "events.out.tfevents.1").read_bytes() == b"scalars"


def test_storage_that_stops_answering_is_one_line_at_resume(tmp_path, monkeypatch):
    from orchestrator.report.tensorboard import free_port

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}.items():  # nothing listens there
        monkeypatch.setenv(key, value)
    with pytest.raises(ClusterError) as err:
        TuneFolder(tmp_path / "exp", "tune", "s3://team-bucket/runs").pull_state()
    assert err.value.one_line().startswith("cluster error: storage s3://team-bucket/runs/exp/tune cannot be read or written from this driver:")
    assert not (tmp_path / "exp").exists()
