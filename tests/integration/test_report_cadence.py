"""Trials of millisecond epochs report to Tune less often than every epoch, yet every epoch is in
the trial's history, its TensorBoard run and its result rows, and ASHA still decides at its rungs.
Real local Ray."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.config import build_config
from orchestrator.pipeline.launch import launch
from orchestrator.train.checkpoint import load_state
from orchestrator.tuning.schedulers import rung_epochs

pytestmark = pytest.mark.ray


def _tune_rows(trial_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (trial_dir / "result.json").read_text().splitlines() if line.strip()]


def _board_steps(run: Path) -> list[int]:
    from tensorboard.backend.event_processing.event_accumulator import TENSORS, EventAccumulator

    acc = EventAccumulator(str(run / "train"), size_guidance={TENSORS: 0})
    acc.Reload()
    return [e.step for e in acc.Tensors("loss")]


def test_millisecond_epochs_report_less_often_and_lose_no_epoch(ray_local, tmp_path):
    raw = {"name": "cadence", "seed": 5, "data": {"synthetic": {"n_samples": 400}}, "training": {"epochs": 60},
           "variants": [{"kind": "baseline"}], "search": {"samples": 4},
           "scheduler": {"grace_period": 2, "reduction_factor": 3}, "diagnosis": {"learning_curve": False},
           "output": {"runs_dir": str(tmp_path)}}
    config = build_config(raw)
    rungs = rung_epochs(config)
    assert rungs == (2, 6, 18, 54)
    result = launch(config, name="cadence")
    trials = result.report["all_trials"]
    assert len(trials) == 4 and result.report["trials"]["errored"] == 0
    reports = epochs = 0
    for trial in trials:
        name, last = f"{trial['variant']}_{trial['trial_id']}", trial["epochs"]
        rows = _tune_rows(result.exp_dir / "tune" / name)
        # One result row per epoch, every epoch, each with its own metrics...
        assert [r["epoch"] for r in rows] == list(range(1, last + 1)), name
        assert len({r["val_loss"] for r in rows}) > last // 2
        # ...from fewer reports (Tune counts them in training_iteration; a report's own row is its last).
        sent = {r["training_iteration"]: r["epoch"] for r in rows}
        reports, epochs = reports + len(sent), epochs + last
        # The first, the last and every rung epoch reached went to Tune in a report of its own.
        assert {1, last, *(r for r in rungs if r <= last)} <= set(sent.values()), (name, sorted(sent.values()))
        assert _board_steps(result.exp_dir / "tensorboard" / name) == list(range(1, last + 1))
        latest = max((result.exp_dir / "tune" / name).glob("checkpoint_*"), key=lambda p: p.name)
        assert [h["epoch"] for h in load_state(latest).history] == list(range(1, last + 1))
        if trial["status"] == "stopped_by_asha":
            assert last in rungs, (name, last)
    assert reports < epochs / 2, (reports, epochs)
    assert result.report["trials"]["stopped_by_asha"] >= 1
