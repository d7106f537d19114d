"""`fit_settled` on a real local Ray: a trial whose worker process dies outright (no retry left in
Tune's own failure handling) is run again from Tune's saved state and finishes; a trial that fails
for any other reason is not run again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator.folder import state_seal
from orchestrator.tuning.run import _worker_died, fit_settled
from orchestrator.tuning.storage import TuneFolder

pytestmark = pytest.mark.ray


def _dies_once(config):
    from ray import tune

    marker = Path(config["marker"])
    if not marker.exists():
        marker.write_text("died once")
        os._exit(1)  # the worker process dies, as under the OOM killer
    tune.report({"score": 1.0})


def _raises(config):
    raise ValueError("a bug in the model")


def _tuner(trainable, storage: Path, marker: Path):
    from ray import tune

    return tune.Tuner(trainable, param_space={"marker": str(marker)},
                      run_config=tune.RunConfig(name="tune", storage_path=str(storage), verbose=0,
                                                failure_config=tune.FailureConfig(max_failures=0)))


def _settled(trainable, tmp_path, monkeypatch, retries=2):
    from ray import tune

    monkeypatch.setenv(state_seal.KEY_ENV, str(tmp_path / "seal.key"))
    restores, folder = [], TuneFolder(tmp_path, "tune")

    def restored():
        restores.append(1)
        folder.drop_pickled_errors()  # as `run` does: the retry sees the error as text
        return tune.Tuner.restore(folder.path, trainable=trainable, resume_errored=True)

    results = fit_settled(_tuner(trainable, tmp_path, tmp_path / "marker"), restored, folder, lambda kind, info: None, retries)
    return results, restores


def test_a_trial_whose_worker_died_is_run_again_from_tunes_state_and_finishes(ray_local, tmp_path, monkeypatch):
    results, restores = _settled(_dies_once, tmp_path, monkeypatch)
    assert (tmp_path / "marker").read_text() == "died once"  # the first run really lost its worker
    assert restores == [1] and results.num_errors == 0 and results[0].metrics["score"] == 1.0
    text = [p.read_text() for p in (tmp_path / "tune").glob("*/error.txt")]
    assert text and all(_worker_died(t) for t in text)  # read back as text after a restore, it still counts


def test_a_trial_that_failed_for_another_reason_is_not_run_again(ray_local, tmp_path, monkeypatch):
    results, restores = _settled(_raises, tmp_path, monkeypatch)
    assert restores == [] and results.num_errors == 1 and "a bug in the model" in str(results[0].error)
