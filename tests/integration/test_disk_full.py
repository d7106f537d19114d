"""Full disks and unwritable places: the runs folder on a small tmpfs that fills during training (one
line naming the disk, exit 2, the checkpoints written before intact, `gg-train resume` finishing
once space is freed), and a read-only runs folder refused before anything starts. Needs `mount`
(root, as in CI's container); skipped, with the reason, where the kernel refuses it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orchestrator.disk import LOW_DISK_BYTES
from tests.integration.test_recovery import _wait_for

pytestmark = pytest.mark.ray


@pytest.fixture
def small_disk(tmp_path):
    """A 48 MiB tmpfs, unmounted afterwards."""
    where = tmp_path / "disk"
    where.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(where)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def _gg(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "orchestrator.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _checkpoints(exp_dir: Path) -> dict[str, str]:
    """sha256 of every file of every trial checkpoint but each trial's newest (which may be mid-copy)."""
    out = {}
    for trial in (exp_dir / "tune").glob("*/"):
        for ckpt in sorted(trial.glob("checkpoint_*"))[:-1]:
            for f in ckpt.rglob("*"):
                if f.is_file():
                    out[str(f.relative_to(exp_dir))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def test_a_disk_that_fills_during_training_stops_in_one_line_and_resumes_to_the_end(small_disk, tmp_path):
    runs = small_disk / "runs"
    config = tmp_path / "exp.yaml"
    config.write_text(yaml.safe_dump({
        "name": "full", "seed": 2, "data": {"synthetic": {"n_samples": 300}}, "training": {"epochs": 30},
        "variants": [{"kind": k} for k in ("baseline", "l2", "dropout")], "search": {"enabled": False, "samples": 1},
        "scheduler": {"type": "none"}, "diagnosis": {"learning_curve": False},
        "output": {"runs_dir": str(runs), "tensorboard": True, "checkpoint_every": 1, "checkpoints_to_keep": 100}}))
    exp_dir = runs / "full"
    proc = _gg("launch", "--config", str(config), "--name", "full")
    assert _wait_for(lambda: len(_checkpoints(exp_dir)) > 0 or proc.poll() is not None), proc.communicate()[1][-2000:]
    ballast = small_disk / "ballast"
    with open(ballast, "wb") as f:  # another program fills the disk: less than the low-water mark is left
        f.write(b"\0" * (shutil.disk_usage(small_disk).free - LOW_DISK_BYTES // 4))
    before = _checkpoints(exp_dir)
    _, err = proc.communicate(timeout=180)
    last = err.strip().splitlines()[-1]
    assert proc.returncode == 2 and last.startswith(f"disk full: the disk holding {exp_dir} is full"), err[-2000:]
    assert f"gg-train resume full --runs-dir {runs}" in last
    after = _checkpoints(exp_dir)
    assert {k: after.get(k) for k in before} == before, "a checkpoint written before the disk filled changed"
    trials = sorted(p.name for p in (exp_dir / "tune").iterdir() if p.is_dir())

    listed = subprocess.run([sys.executable, "-m", "orchestrator.cli", "list", "--runs-dir", str(runs)],
                            capture_output=True, text=True, timeout=60)
    assert "interrupted in training" in listed.stdout, listed.stdout
    ballast.unlink()
    resumed = _gg("resume", "full", "--runs-dir", str(runs))
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err[-2000:]
    report = json.loads((exp_dir / "report.json").read_text())
    assert report["trials"]["total"] == 3 and report["trials"]["errored"] == 0 and report["export"]["verified"] is True
    now = sorted(p.name for p in (exp_dir / "tune").iterdir() if p.is_dir())
    # The same Tune experiment continued (a fresh start would name every trial with a new run id).
    assert set(trials) <= set(now) and len(now) == 3 and len({n.rsplit("_", 1)[0].split("_")[-1] for n in now}) == 1, now


def test_a_read_only_runs_folder_is_refused_before_anything_starts(small_disk):
    runs = small_disk / "runs"
    runs.mkdir()
    (runs / "keep.txt").write_text("already here")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        proc = _gg("launch", "--runs-dir", str(runs), "--name", "ro", env={**os.environ, "GG_DEBUG": ""})
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 2 and err.strip() == f"experiment error: the runs folder {runs} is not writable (pass a writable --runs-dir)"
        nested = _gg("launch", "--runs-dir", str(runs / "new"), "--name", "ro")
        _, err = nested.communicate(timeout=60)
        assert nested.returncode == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert "pass a writable --runs-dir" in err
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert sorted(p.name for p in runs.iterdir()) == ["keep.txt"] and (runs / "keep.txt").read_text() == "already here"
