"""Full disks and unwritable places: the runs folder on a small tmpfs that another program fills at
once, to the last byte, during training, during the export and during the report (each time one line
naming the disk, exit 2, what was written before intact, `gg-train resume` finishing once space is
freed), and a read-only runs folder refused before anything starts. Needs `mount` (root, as in CI's
container); skipped, with the reason, where the kernel refuses it."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.integration.test_recovery import _wait_for

pytestmark = [pytest.mark.ray, pytest.mark.long]  # a disk filled at each moment, then resumed (about 3 minutes): `pytest -m long`


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


def _fill(disk: Path) -> Path:
    """Another program takes every byte left on `disk` in one go; returns its file (delete it to free the space)."""
    ballast = disk / "ballast"
    with open(ballast, "wb", buffering=0) as f:
        for chunk in (2**20, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return ballast


def _fill_when(disk: Path, moment, proc: subprocess.Popen) -> Path:
    """Fill `disk` as soon as `moment()` holds (polled every 10 ms: the export and the report last a second or two)."""
    deadline = time.time() + 240
    while not moment() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert moment(), f"the moment never came (exit {proc.poll()})"
    return _fill(disk)


def _stopped_by_the_full_disk(proc: subprocess.Popen, exp_dir: Path) -> None:
    """The run ended in the one line, exit 2: no traceback, no 'aborted', none of Ray's lines (they go to
    logs/driver.log as far as the disk takes them), so Tune's 'Tuner.restore' advice is not what the user reads last."""
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 2 and err.strip().startswith(f"disk full: the disk holding {exp_dir} is full"), err[-3000:]
    assert len(err.strip().splitlines()) == 1 and f"gg-train resume {exp_dir.name} --runs-dir {exp_dir.parent}" in err, err[-3000:]


def _rows_parse(exp_dir: Path) -> None:
    for path in (exp_dir / "tune").glob("*/result.json"):
        for line in path.read_text().splitlines():
            json.loads(line)  # a row cut short by the full disk and continued on resume would not parse
    for path in (exp_dir / "tune").glob("*/progress.csv"):
        lines = path.read_text().splitlines()
        assert {line.count(",") for line in lines} == {lines[0].count(",")}, path


def _config(tmp_path: Path, runs: Path, **extra) -> Path:
    raw = {"name": "full", "seed": 2, "data": {"synthetic": {"n_samples": 300}}, "training": {"epochs": 30},
           "variants": [{"kind": k} for k in ("baseline", "l2", "dropout")], "search": {"enabled": False, "samples": 1},
           "scheduler": {"type": "none"}, "diagnosis": {"learning_curve": False},
           "output": {"runs_dir": str(runs), "tensorboard": True, "checkpoint_every": 1, "checkpoints_to_keep": 100}}
    config = tmp_path / "exp.yaml"
    config.write_text(yaml.safe_dump({**raw, **extra}))
    return config


def _resumed_to_the_end(exp_dir: Path, trials: int) -> dict:
    resumed = _gg("resume", exp_dir.name, "--runs-dir", str(exp_dir.parent))
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err[-3000:]
    assert "Failed to fetch metrics" not in err, err[-3000:]  # Tune read every trial's rows
    report = json.loads((exp_dir / "report.json").read_text())
    assert report["trials"]["total"] == trials and report["trials"]["errored"] == 0 and report["export"]["verified"] is True
    assert json.loads((exp_dir / "manifest.json").read_text())["status"] == "finished"
    assert (exp_dir / "report.html").read_text().rstrip().endswith("</html>")
    return report


def test_a_disk_filled_at_once_during_training_stops_in_one_line_and_resumes_to_the_end(small_disk, tmp_path):
    runs = small_disk / "runs"
    exp_dir = runs / "full"
    proc = _gg("launch", "--config", str(_config(tmp_path, runs)), "--name", "full")
    assert _wait_for(lambda: len(_checkpoints(exp_dir)) > 0 or proc.poll() is not None), proc.communicate()[1][-2000:]
    ballast = _fill(small_disk)  # a checkpoint, a result row, Tune's state: whatever is written next finds no room
    before = _checkpoints(exp_dir)
    _stopped_by_the_full_disk(proc, exp_dir)
    after = _checkpoints(exp_dir)
    assert {k: after.get(k) for k in before} == before, "a checkpoint written before the disk filled changed"
    trials = sorted(p.name for p in (exp_dir / "tune").iterdir() if p.is_dir())

    listed = subprocess.run([sys.executable, "-m", "orchestrator.cli", "list", "--runs-dir", str(runs)],
                            capture_output=True, text=True, timeout=60)
    assert "interrupted in training" in listed.stdout, listed.stdout
    ballast.unlink()
    _resumed_to_the_end(exp_dir, 3)
    _rows_parse(exp_dir)
    now = sorted(p.name for p in (exp_dir / "tune").iterdir() if p.is_dir())
    # The same Tune experiment continued (a fresh start would name every trial with a new run id).
    assert set(trials) <= set(now) and len(now) == 3 and len({n.rsplit("_", 1)[0].split("_")[-1] for n in now}) == 1, now


def test_a_disk_filled_during_the_export_then_during_the_report_resumes_each_time(small_disk, tmp_path):
    runs = small_disk / "runs"
    exp_dir = runs / "full"
    config = _config(tmp_path, runs, training={"epochs": 3}, variants=[{"kind": "baseline"}, {"kind": "l2"}])
    proc = _gg("launch", "--config", str(config), "--name", "full")
    ballast = _fill_when(small_disk, (exp_dir / "best").exists, proc)
    _stopped_by_the_full_disk(proc, exp_dir)
    assert json.loads((exp_dir / "manifest.json").read_text())["phase"] == "export"
    assert not (exp_dir / "best").exists(), "an export cut short was left at best/"
    still_full = _gg("resume", "full", "--runs-dir", str(runs))
    _, err = still_full.communicate(timeout=60)
    assert still_full.returncode == 2 and err.strip().startswith(f"disk full: the disk holding {exp_dir} is full"), err
    assert "needs 16 MiB free there" in err and len(err.strip().splitlines()) == 1
    ballast.unlink()

    resumed = _gg("resume", "full", "--runs-dir", str(runs))  # the export again, then a full disk while the report is written
    ballast = _fill_when(small_disk, (exp_dir / "plots").exists, resumed)
    _stopped_by_the_full_disk(resumed, exp_dir)
    assert json.loads((exp_dir / "manifest.json").read_text())["phase"] == "report"
    assert not (exp_dir / "report.html").exists() and not (exp_dir / "report.md").exists(), "a report cut short"
    assert (exp_dir / "best" / "model.keras").is_file() and (exp_dir / "best" / "saved_model" / "saved_model.pb").is_file()
    ballast.unlink()
    _resumed_to_the_end(exp_dir, 2)


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


def test_gg_train_report_on_a_full_disk_is_one_line_and_the_report_stays_whole(small_disk):
    from typer.testing import CliRunner

    from orchestrator.cli import app
    from tests.report.test_listing import make

    folder = make(small_disk / "runs", "done", "finished", report=True)
    before = (folder / "report.json").read_bytes()
    ballast = _fill(small_disk)
    result = CliRunner().invoke(app, ["report", "done", "--runs-dir", str(small_disk / "runs")])
    assert result.exit_code == 2 and result.stderr.strip().startswith(f"disk full: the disk holding {folder} is full"), result.output
    assert f"gg-train report done --runs-dir {small_disk / 'runs'}" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (folder / "report.json").read_bytes() == before and not list(folder.glob(".*.tmp"))
    ballast.unlink()
    assert CliRunner().invoke(app, ["report", "done", "--runs-dir", str(small_disk / "runs")]).exit_code == 0
