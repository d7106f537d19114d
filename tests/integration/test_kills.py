"""Kills at every phase: SIGKILL the launch (and then each resume) while it loads data, starts Ray,
trains, evaluates, exports and writes the report. After each kill `gg-train list` tells the truth,
and the last `gg-train resume` brings the experiment to a complete, verified report without
training any trial twice, even when the kill cut Tune's state file short. Real processes, real signals; phases are held with GG_FAULT_HOLD."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import yaml

from orchestrator.folder import experiments
from tests.integration.test_recovery import _finished_trials, _wait_for

pytestmark = [pytest.mark.ray, pytest.mark.long]  # a launch killed at every phase (about 2 minutes): `pytest -m long`
NAME = "kills"


def _config(runs: Path) -> dict:
    return {"name": NAME, "seed": 3, "data": {"synthetic": {"n_samples": 300}}, "training": {"epochs": 20},
            "variants": [{"kind": k} for k in ("baseline", "l2", "dropout")], "search": {"enabled": False, "samples": 2},  # 6 trials, 2 at a time: still training at the kill
            "scheduler": {"type": "none"}, "diagnosis": {"learning_curve": False},
            "output": {"runs_dir": str(runs), "tensorboard": False}}


class Gg:
    """Start `gg-train` commands in their own process group, optionally held at a phase."""

    def __init__(self, tmp: Path):
        self.tmp, self.runs = tmp, tmp / "runs"
        self.yaml = tmp / "exp.yaml"
        self.yaml.write_text(yaml.safe_dump(_config(self.runs)))

    def start(self, *args: str, hold: str | None = None) -> tuple[subprocess.Popen, Path]:
        mark = self.tmp / f"held-{hold}"
        env = {**os.environ, "GG_FAULT_HOLD": hold or "", "GG_FAULT_MARK": str(mark)}
        proc = subprocess.Popen([sys.executable, "-m", "orchestrator.cli", *args], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        return proc, mark

    def launch(self, hold: str | None = None):
        return self.start("launch", "--config", str(self.yaml), "--name", NAME, hold=hold)

    def resume(self, hold: str | None = None):
        return self.start("resume", NAME, "--runs-dir", str(self.runs), hold=hold)

    def listed(self) -> dict[str, str]:
        """`gg-train list` as {experiment name: status column}."""
        out = subprocess.run([sys.executable, "-m", "orchestrator.cli", "list", "--runs-dir", str(self.runs)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.stdout.splitlines() if line.startswith("│")]
        return {row[0]: row[1] for row in rows}


def _held(proc: subprocess.Popen, mark: Path) -> None:
    assert _wait_for(lambda: mark.exists() or proc.poll() is not None, timeout=180), "the phase was never reached"
    assert proc.poll() is None, proc.communicate()[1][-2000:]


def _kill_group(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _all_results(exp_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(exp_dir)): p.read_bytes() for p in exp_dir.glob("tune/*/result.json")}


def _kill_before_the_folder_exists(gg: Gg) -> list[psutil.Process]:
    """Kills in data loading and in Ray's start-up leave no folder and no half-made one (there is
    nothing to resume: the same launch simply runs again). Returns the killed launch's Ray agents,
    which notice their raylet is gone within a minute (Ray's own parent check), for the caller to await."""
    proc, mark = gg.launch(hold="data")
    _held(proc, mark)
    _kill_group(proc)
    assert gg.listed() == {} and not (gg.runs / NAME).exists()

    proc, mark = gg.launch(hold="ray")  # Ray is up, the folder not yet made
    _held(proc, mark)
    ray_processes = psutil.Process(proc.pid).children(recursive=True)
    assert any("raylet" in p.name() for p in ray_processes), [p.name() for p in ray_processes]
    os.kill(proc.pid, signal.SIGKILL)  # the launch alone, as the OOM killer would: its Ray must follow it
    proc.wait(timeout=30)
    agents = [p for p in ray_processes if "Agent" in p.name()]
    _, alive = psutil.wait_procs([p for p in ray_processes if p not in agents], timeout=30)
    assert not alive, f"Ray processes outlived the killed launch: {[p.name() for p in alive]}"
    assert gg.listed() == {} and not (gg.runs / NAME).exists()
    assert not [p for p in gg.runs.iterdir() if not p.name.endswith(".lock")], "a half-made folder was left"
    return agents


def test_kills_in_each_of_the_six_phases_end_in_one_complete_report_with_no_trial_trained_twice(tmp_path):
    gg = Gg(tmp_path)
    agents = _kill_before_the_folder_exists(gg)
    exp_dir = gg.runs / NAME
    proc, _ = gg.launch()
    assert _wait_for(lambda: len(_finished_trials(exp_dir)) >= 1 or proc.poll() is not None), proc.communicate()[1][-2000:]
    finished_before = _finished_trials(exp_dir)
    _kill_group(proc)
    assert gg.listed() == {NAME: "interrupted in training"}
    newest_state = max((exp_dir / "tune").glob("experiment_state-*.json"))
    newest_state.write_bytes(newest_state.read_bytes()[:100])  # what a kill during Tune's plain copy leaves

    held_results = None
    for phase in ("evaluation", "export", "report"):
        proc, mark = gg.resume(hold=phase)
        _held(proc, mark)
        if held_results is None:  # every trial has ended once evaluation starts
            held_results = _all_results(exp_dir)
        _kill_group(proc)
        assert gg.listed() == {NAME: f"interrupted in {phase}"}
        assert experiments.effective_status(experiments.read_manifest(exp_dir)) == "interrupted"

    proc, _ = gg.resume()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    report = json.loads((exp_dir / "report.json").read_text())
    assert report["trials"]["total"] == 6 and report["trials"]["errored"] == 0
    assert len([p for p in (exp_dir / "tune").iterdir() if p.is_dir()]) == 6, "Tune started the experiment again"
    assert report["best"] is not None and report["export"]["verified"] is True
    assert (exp_dir / "report.html").is_file() and (exp_dir / "report.md").is_file()
    assert gg.listed() == {NAME: "finished"}
    for name, content in finished_before.items():  # finished before the first kill: never trained again
        assert (exp_dir / "tune" / name / "result.json").read_bytes() == content
    assert _all_results(exp_dir) == held_results, "a trial trained again after training had ended"
    manifest = experiments.read_manifest(exp_dir)
    assert manifest["status"] == "finished" and manifest["resumed"] == 4
    _, alive = psutil.wait_procs(agents, timeout=60)
    assert not alive, f"the first killed launch's Ray agents are still running: {[p.name() for p in alive]}"
