"""On a real local Ray: a restored Tuner whose saved state Tune cannot rebuild is stopped before
any trial starts, instead of Tune's own answer (train the whole grid again in the same folder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.folder import state_seal
from orchestrator.errors import ExperimentError
from orchestrator.tuning import restart_guard
from orchestrator.tuning.run import fit
from orchestrator.tuning.seal_callback import StateSeal

pytestmark = pytest.mark.ray


def _trainable(config):
    from ray import tune

    tune.report({"score": float(config["x"])})


def _finished_experiment(tmp_path: Path):
    from ray import tune

    tuner = tune.Tuner(_trainable, param_space={"x": tune.grid_search([1, 2])},
                       run_config=tune.RunConfig(name="tune", storage_path=str(tmp_path), verbose=0,
                                                 callbacks=[StateSeal(str(tmp_path), "tune")]))
    tuner.fit()
    return tmp_path / "tune"


def _restored_fit(folder: Path):
    from ray import tune

    tuner = tune.Tuner.restore(str(folder), trainable=_trainable, resume_errored=True)
    with restart_guard.restoring(folder):
        return fit(tuner, folder.parent, lambda kind, info: None)


def _trial_folders(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def test_a_state_tune_cannot_rebuild_stops_before_any_trial_runs_again(ray_local, tmp_path, monkeypatch):
    monkeypatch.setenv(state_seal.KEY_ENV, str(tmp_path / "seal.key"))
    folder = _finished_experiment(tmp_path / "exp")
    before, states = _trial_folders(folder), sorted(p.name for p in folder.glob("experiment_state-*.json"))
    state = folder / states[-1]
    saved = json.loads(state.read_text())
    state.write_text(json.dumps({**saved, "runner_data": []}))  # valid JSON that TuneController.resume cannot use
    with pytest.raises(ExperimentError, match=r"Tune could not restore its saved state of 2 trial\(s\) .* stopped it before any trial started"):
        _restored_fit(folder)
    assert _trial_folders(folder) == before, "Tune started trials again"
    assert sorted(p.name for p in folder.glob("experiment_state-*.json")) == states


def test_a_state_tune_rebuilds_resumes_without_the_guard_in_the_way(ray_local, tmp_path, monkeypatch):
    monkeypatch.setenv(state_seal.KEY_ENV, str(tmp_path / "seal.key"))
    folder = _finished_experiment(tmp_path / "exp")
    before = _trial_folders(folder)
    results = _restored_fit(folder)
    assert len(results) == 2 and results.num_errors == 0 and _trial_folders(folder) == before


def test_saved_trials_are_counted_from_plain_json(tmp_path):
    (tmp_path / "experiment_state-2026.json").write_text(json.dumps({"trial_data": [["{}", "{}"]] * 3}))
    assert restart_guard.saved_trials(tmp_path) == 3
    assert restart_guard.saved_trials(tmp_path / "absent") == 0
