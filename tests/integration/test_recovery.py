"""Nothing lost: a killed trial is retried from its checkpoint, a killed or interrupted launch is
resumed, and a diverging trial ends cleanly. Real local Ray, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from orchestrator.folder import experiments
from orchestrator.config import build_config
from orchestrator.pipeline.launch import launch, resume

pytestmark = pytest.mark.ray


def config(runs: Path, **extra):
    raw = {"name": "recovery", "seed": 1, "data": {"synthetic": {"n_samples": 300}}, "training": {"epochs": 8},
           "variants": [{"kind": "baseline"}, {"kind": "l2"}], "search": {"enabled": False, "samples": 1},
           "scheduler": {"type": "none"}, "diagnosis": {"learning_curve": False},
           "output": {"runs_dir": str(runs), "tensorboard": False}}
    raw.update(extra)
    return raw


def results(exp_dir: Path) -> dict[str, list[dict]]:
    out = {}
    for path in (exp_dir / "tune").glob("*/result.json"):
        out[path.parent.name] = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return out


def test_a_trial_killed_mid_training_is_retried_from_its_checkpoint(ray_local, tmp_path, monkeypatch):
    """The killed trial is an early-stopping one whose best epoch comes after the restart: the model
    it ends with is one the new process found, so its early-stopping state really carried over."""
    killed: dict = {}
    mark = tmp_path / "held"
    monkeypatch.setenv("GG_FAULT_HOLD", "early_stopping@3")  # the trial waits after reporting epoch 3
    monkeypatch.setenv("GG_FAULT_MARK", str(mark))

    def kill_first_trial_at_epoch_3():
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            if mark.exists() and mark.read_text():
                killed.update(pid=int(mark.read_text()), epoch=3)
                os.kill(killed["pid"], signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_first_trial_at_epoch_3, daemon=True)
    killer.start()
    # A checkpoint every 2 epochs: the kill at epoch 3 or later loses the epochs since the last one.
    every_two = {"runs_dir": str(tmp_path), "tensorboard": False, "checkpoint_every": 2}
    # Patience longer than the run: the trial ends at epoch 12 with its best epoch's weights put back;
    # at this learning rate validation loss bottoms out at epoch 9 (of 12), well after the kill.
    variants = [{"kind": "early_stopping", "params": {"patience": 12, "learning_rate": 0.002}}, {"kind": "l2"}]
    result = launch(build_config(config(tmp_path, training={"epochs": 12}, variants=variants, output=every_two)), name="kill")
    killer.join(5)
    assert killed, "the trial was never seen running"
    killed["name"] = next(n for n in results(result.exp_dir) if n.startswith("early_stopping"))
    rows = results(result.exp_dir)[killed["name"]]
    # The rows the killed process reported may be gone from result.json (Tune can rewrite it when it
    # restarts the trial); the ones that count come from another process, resumed from a checkpoint.
    assert rows[-1]["pid"] != killed["pid"], "the trial was not restarted in a new process"
    restarted = [r["epoch"] for r in rows if r["pid"] != killed["pid"]]
    # It continued from a checkpoint (epoch 2, 4, …: the epoch after one), not from epoch 1. Not
    # bounded by the killed process's last logged epoch: under load Tune can register a report's
    # checkpoint whose result row the dying worker's last messages never got into result.json.
    assert restarted[0] > 2 and (restarted[0] - 1) % 2 == 0, restarted
    # ...finished its recipe with the right epoch count...
    (stopping,) = [v for v in result.report["variants"] if v["variant"] == "early_stopping"]
    assert stopping["status"] == "completed" and stopping["epochs"] == 12
    assert result.report["trials"]["errored"] == 0
    # ...and its best epoch came after the restart: trained by the new process, from the checkpoint on,
    # and what it ends with (the report's validation loss) is that epoch's model.
    best_epoch, resumed_from = rows[-1]["best_epoch"], restarted[0] - 1
    assert resumed_from < best_epoch < 12 and rows[-1]["restored_best"], (best_epoch, resumed_from)
    (best_row,) = [r for r in rows if r["pid"] != killed["pid"] and r["epoch"] == best_epoch]
    assert rows[-1]["val_loss"] == best_row["val_loss"] == min(r["val_loss"] for r in rows if r["pid"] != killed["pid"])
    assert stopping["val"]["loss"] == pytest.approx(best_row["val_loss"], rel=1e-4)


def test_a_diverging_trial_is_reported_and_the_experiment_finishes(ray_local, tmp_path):
    raw = config(tmp_path, training={"epochs": 6, "optimizer": "sgd"},
                 variants=[{"kind": "baseline", "name": "exploding", "params": {"learning_rate": 1.0e6}},
                           {"kind": "l2", "params": {"learning_rate": 0.05}}])
    result = launch(build_config(raw), name="diverge")
    statuses = {t["variant"]: t["status"] for t in result.report["all_trials"]}
    assert statuses == {"exploding": "diverged", "l2": "completed"}
    assert result.report["trials"]["diverged"] == 1
    assert result.report["best"]["variant"] == "l2"


def _gg(*args: str) -> list[str]:
    return [sys.executable, "-m", "orchestrator.cli", *args]


def _wait_for(predicate, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _terminated_in_tune_state(exp_dir: Path) -> set[str]:
    """Trial ids Tune's own experiment state records as TERMINATED: what a restore will keep."""
    done = set()
    for path in (exp_dir / "tune").glob("experiment_state-*.json"):
        try:
            trials = [json.loads(entry[0]) for entry in json.loads(path.read_text())["trial_data"]]
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            continue  # being rewritten right now
        done |= {t.get("trial_id") for t in trials if t.get("status") == "TERMINATED"}
    return done


def _finished_trials(exp_dir: Path) -> dict[str, bytes]:
    """Trials that reported their last epoch and that Tune has recorded as finished. (A trial killed
    between its last report and Tune's next state snapshot is restored from Tune's older record.)"""
    out = {}
    terminated = _terminated_in_tune_state(exp_dir) if (exp_dir / "tune").exists() else set()
    for name, rows in results(exp_dir).items() if (exp_dir / "tune").exists() else []:
        if rows and rows[-1].get("final") and "_".join(name.split("_")[-2:]) in terminated:  # <variant>_<trial id>
            out[name] = (exp_dir / "tune" / name / "result.json").read_bytes()
    return out


@pytest.mark.parametrize("how", ["SIGINT"])  # SIGKILL, in every phase: tests/integration/test_kills.py
def test_an_interrupted_launch_resumes_without_retraining_finished_trials(ray_local, tmp_path, how, monkeypatch):
    # The last variant's trial waits at its 5th epoch until the stop: trials of a warm worker end in a
    # second or two, so without the hold all four could finish before the signal lands.
    monkeypatch.setenv("GG_FAULT_HOLD", "early_stopping@5")
    monkeypatch.setenv("GG_FAULT_MARK", str(tmp_path / "held"))
    runs = tmp_path / "runs"
    yaml_path = tmp_path / "exp.yaml"
    raw = config(runs, training={"epochs": 25}, variants=[{"kind": k} for k in ("baseline", "l2", "dropout", "early_stopping")])
    import yaml

    yaml_path.write_text(yaml.safe_dump(raw))
    proc = subprocess.Popen(_gg("launch", "--config", str(yaml_path), "--name", "stop", "--cpus-per-trial", "1"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    exp_dir = runs / "stop"
    assert _wait_for(lambda: len(_finished_trials(exp_dir)) >= 1 and (tmp_path / "held").exists()), proc.communicate(timeout=30)
    before = _finished_trials(exp_dir)
    sent = time.time()
    if how == "SIGINT":
        proc.send_signal(signal.SIGINT)
        (tmp_path / "held.release").touch()  # the held trial trains on: Tune's stop ends it at its next report
        _, err = proc.communicate(timeout=60)
        assert time.time() - sent < 15, "Ctrl-C must stop the launch within seconds"
        assert proc.returncode == 130 and "gg-train resume stop" in err, err
        # gg-train's resume line, never Ray's "Resume experiment with: Tuner.restore(…)": that one is in the log.
        assert err.strip().splitlines() == [f"interrupted; continue with: gg-train resume stop --runs-dir {runs}"], err
        assert "Tuner.restore" in (exp_dir / "logs" / "driver.log").read_text(errors="replace")
        assert experiments.read_manifest(exp_dir)["status"] == "interrupted"
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        manifest = experiments.read_manifest(exp_dir)
        assert manifest["status"] == "running" and experiments.effective_status(manifest) == "interrupted"
    listed = subprocess.run(_gg("list", "--runs-dir", str(runs)), capture_output=True, text=True, timeout=60)
    assert "interrupted" in listed.stdout
    result = resume(runs, "stop")
    report = result.report
    assert report["trials"]["total"] == 4 and report["trials"]["errored"] == 0
    assert {v["variant"] for v in report["variants"]} == {"baseline", "l2", "dropout", "early_stopping"}
    assert experiments.read_manifest(exp_dir)["status"] == "finished"
    for name, content in before.items():  # finished before the stop: not trained again
        assert (exp_dir / "tune" / name / "result.json").read_bytes() == content
