"""The driver's Tune callbacks for what trials leave in shared storage: a running trial's TensorBoard
run comes back after its checkpoints (no more often than `PULL_EVERY_S`), a trial that ends always
comes back, and the callback still pickles into tuner.pkl with its pull thread running."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import pyarrow.fs as pafs

from orchestrator.tuning.callbacks import BoardPull
from orchestrator.tuning.storage import TuneFolder


def _put(uri: str, data: bytes) -> None:
    fs, path = pafs.FileSystem.from_uri(uri)
    with fs.open_output_stream(path) as out:
        out.write(data)


def test_a_running_trials_board_comes_back_after_a_checkpoint_and_again_when_it_ends(s3_bucket, tmp_path):
    folder = TuneFolder(tmp_path / "exp", "tune", f"{s3_bucket}/runs")
    events = f"{folder.path}/baseline_0/tensorboard/baseline_0/train/events.out.tfevents.1"
    local = tmp_path / "exp" / "tensorboard" / "baseline_0" / "train" / "events.out.tfevents.1"
    trial = SimpleNamespace(trial_id="0", config={"variant": "baseline"})
    pull = BoardPull(folder)

    _put(events, b"epoch 1")
    pull.on_checkpoint(1, [trial], trial, checkpoint=None)
    pull.on_experiment_end([trial])  # waits for the queued pull
    assert local.read_bytes() == b"epoch 1"

    _put(events, b"epoch 1, epoch 2")
    pull.on_checkpoint(2, [trial], trial, checkpoint=None)  # seconds after the last pull: not yet
    assert pickle.loads(pickle.dumps(pull)).folder == folder  # as Tune pickles its callbacks
    pull.on_experiment_end([trial])
    assert local.read_bytes() == b"epoch 1"

    pull.on_trial_complete(3, [trial], trial)
    pull.on_experiment_end([trial])
    assert local.read_bytes() == b"epoch 1, epoch 2"
