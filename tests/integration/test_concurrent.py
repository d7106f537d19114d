"""Concurrent launches in one runs folder: two `gg-train launch --name X` started at the same moment
(exactly one runs; the other exits 2 at once naming the holder), a third experiment beside them that
finishes too, and a `resume` of the running one refused. Real processes, each with its own Ray."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.ray, pytest.mark.long]  # two launches racing for one name beside a third (about a minute): `pytest -m long`


def _config(runs: Path) -> dict:
    return {"name": "race", "seed": 5, "data": {"synthetic": {"n_samples": 240}}, "training": {"epochs": 4},
            "variants": [{"kind": "baseline"}, {"kind": "l2"}], "search": {"enabled": False, "samples": 1},
            "scheduler": {"type": "none"}, "diagnosis": {"learning_curve": False},
            "output": {"runs_dir": str(runs), "tensorboard": True}}


def _start(*args: str) -> tuple[subprocess.Popen, float]:
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "GG_DEBUG": ""})
    return proc, time.monotonic()


def test_same_name_race_has_one_winner_and_a_side_by_side_experiment_finishes(tmp_path):
    runs = tmp_path / "runs"
    config = tmp_path / "race.yaml"
    config.write_text(yaml.safe_dump(_config(runs)))
    launch = ("launch", "--config", str(config), "--cpus-per-trial", "0.5")
    racers = [_start(*launch, "--name", "X") for _ in range(2)]
    beside, _ = _start(*launch, "--name", "Y", "--set", "output.permissions=group")  # a team's shared folder

    deadline = time.monotonic() + 60
    while all(proc.poll() is None for proc, _ in racers) and time.monotonic() < deadline:
        time.sleep(0.1)
    ended = [i for i, (proc, _) in enumerate(racers) if proc.poll() is not None]
    assert len(ended) == 1, "exactly one of the two same-name launches must stop at once"
    loser_index = ended[0]
    loser_seconds = time.monotonic() - racers[loser_index][1]
    loser, _ = racers[loser_index]
    winner, _ = racers[1 - loser_index]
    err = loser.stderr.read()
    assert loser.returncode == 2 and loser_seconds < 10, (loser_seconds, err)
    assert len(err.strip().splitlines()) == 1 and f"process {winner.pid}" in err and "Traceback" not in err, err

    refused = subprocess.run([sys.executable, "-m", "orchestrator.cli", "resume", "X", "--runs-dir", str(runs)],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "being launched" in refused.stderr, refused.stderr

    for proc in (winner, beside):
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr[-2000:]
    for name, pid in (("X", winner.pid), ("Y", beside.pid)):
        folder = runs / name
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["status"] == "finished" and manifest["pid"] == pid
        report = json.loads((folder / "report.json").read_text())
        assert report["trials"]["total"] == 2 and report["export"]["verified"] is True
        trial_dirs = sorted(p.name for p in (folder / "tune").iterdir() if p.is_dir())
        assert len(trial_dirs) == 2, trial_dirs  # one launch's trials, not two launches' mixed
        assert len([p for p in (folder / "tensorboard").iterdir() if p.is_dir()]) == 2  # one HParams run per trial
    assert sorted(p.name for p in runs.iterdir()) == ["X", "Y"], "lock files and staging folders are cleaned up"
    shared = runs / "Y"
    written = [shared, shared / "report.json", shared / "best" / "model.keras", *shared.glob("tune/*/checkpoint_*/*")]
    assert len(written) > 3 and all(oct(p.stat().st_mode & 0o077) == (oct(0o050) if p.is_dir() else oct(0o040)) for p in written), \
        {str(p.relative_to(runs)): oct(p.stat().st_mode & 0o777) for p in written}
