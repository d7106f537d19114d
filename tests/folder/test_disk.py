"""The full-disk rules without a full disk: which failures a full disk caused, the one line a run
stopped by one ends in, and the result rows it cut short (the tmpfs tests in
tests/integration/test_disk_full.py fill a real disk)."""

from __future__ import annotations

import errno
import json

import pytest

from orchestrator.pipeline import launch

from orchestrator.folder import disk


@pytest.fixture
def nearly_full(monkeypatch):
    monkeypatch.setattr(disk, "free_bytes", lambda path: disk.LOW_DISK_BYTES // 4)


def test_a_failure_in_other_words_while_the_disk_is_nearly_full_is_the_disk(tmp_path, nearly_full):
    # Tune reading the error.pkl a full disk left empty: EOFError, no errno, no "No space left".
    assert disk.stopped_by_full_disk(EOFError("Ran out of input"), tmp_path)


def test_a_failure_with_room_to_spare_is_not_the_disk_unless_it_says_so(tmp_path):
    assert not disk.stopped_by_full_disk(EOFError("Ran out of input"), tmp_path)
    wrapped = RuntimeError("trial failed")
    wrapped.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    assert disk.stopped_by_full_disk(wrapped, tmp_path)


def test_a_run_stopped_by_a_full_disk_ends_in_the_one_line_and_leaves_a_resumable_experiment(tmp_path, nearly_full):
    exp_dir = tmp_path / "exp"
    exp_dir.mkdir()
    (exp_dir / "manifest.json").write_text(json.dumps({"status": "running"}))

    def cut_short():
        raise EOFError("Ran out of input")

    with pytest.raises(disk.DiskFullError) as stopped:
        launch._guarded(exp_dir, cut_short)
    assert stopped.value.one_line().startswith(f"disk full: the disk holding {exp_dir} is full")
    assert f"gg-train resume exp --runs-dir {tmp_path}" in stopped.value.one_line()
    assert json.loads((exp_dir / "manifest.json").read_text())["status"] == "interrupted"


def test_the_row_a_full_disk_cut_short_is_dropped_and_whole_rows_stay(tmp_path):
    trial = tmp_path / "tune" / "baseline_00000"
    trial.mkdir(parents=True)
    rows = [{"epoch": 1, "val_loss": 0.7}, {"epoch": 2, "val_loss": 0.6}]
    whole = "".join(json.dumps(r) + "\n" for r in rows)
    (trial / "result.json").write_text(whole + '{"epoch": 3, "val_lo')
    (trial / "progress.csv").write_text("epoch,val_loss\r\n1,0.7\r\n2,0.6\r\n")
    (tmp_path / "tune" / "l2_00001").mkdir()
    (tmp_path / "tune" / "l2_00001" / "progress.csv").write_text("epoch,val_loss\r\n1,0.")

    trimmed = disk.trim_cut_rows([tmp_path / "tune", tmp_path / "learning_curve"])
    assert sorted(p.relative_to(tmp_path).as_posix() for p in trimmed) == [
        "tune/baseline_00000/result.json", "tune/l2_00001/progress.csv"]
    assert (trial / "result.json").read_text() == whole
    assert (trial / "progress.csv").read_bytes() == b"epoch,val_loss\r\n1,0.7\r\n2,0.6\r\n"
    assert (tmp_path / "tune" / "l2_00001" / "progress.csv").read_bytes() == b"epoch,val_loss\r\n"
    assert disk.trim_cut_rows([tmp_path / "tune"]) == []
