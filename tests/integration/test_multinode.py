"""A cluster of several nodes on one machine (cluster/local_cluster.sh: a head and two worker
nodes, one CPU each, separate raylets, token authentication on): a launch that joins it spreads
its trials over the nodes and records each trial's node, and a request no single node can hold is
refused before anything trains, with every node's numbers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.report.tensorboard import free_port

pytestmark = [pytest.mark.ray, pytest.mark.multinode]  # `pytest -m multinode`; not in the default suite
ROOT = Path(__file__).resolve().parents[2]


def _script(*args: str, env: dict) -> str:
    out = subprocess.run(["bash", str(ROOT / "cluster" / "local_cluster.sh"), *args], env=env, capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture(scope="module")
def cluster():
    """Head + 2 workers, 1 CPU each; each node also declares 1 GPU to Ray's scheduler (none exists:
    the launches below use --gpus 0, or are refused before a trial would ask for one)."""
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "CPUS_PER_NODE": "1",
           "GPUS_PER_NODE": "1", "GG_CLUSTER_TMP": f"/tmp/ggr{port}"}  # short: Ray's socket paths must fit 107 bytes
    assert "1 head + 2 worker node(s)" in _script("start", "2", str(port), env=env)
    yield f"127.0.0.1:{port}", env
    _script("stop", str(port), env=env)
    assert subprocess.run(["pgrep", "-f", env["GG_CLUSTER_TMP"]], capture_output=True).returncode == 1, "cluster processes left"


def _launch(address: str, env: dict, runs: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(ROOT / "configs" / "quickstart.yaml"),
         "--address", address, "--runs-dir", str(runs), "--name", "spread", "--samples", "1", "--epochs", "3",
         "--set", "diagnosis.learning_curve=false", "--set", "scheduler.type=none", *extra],
        capture_output=True, text=True, timeout=600, env=env)


def test_trials_spread_over_the_nodes_and_each_records_its_node(cluster, tmp_path):
    address, env = cluster
    proc = _launch(address, env, tmp_path, "--gpus", "0", "--set",
                   "variants=[{kind: baseline}, {kind: l2}, {kind: dropout}, {kind: early_stopping}]")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "3 at a time" in proc.stdout  # one per node: each has one CPU
    report = json.loads((tmp_path / "spread" / "report.json").read_text())
    nodes = {t["node"]["id"] for t in report["all_trials"]}
    assert len(report["all_trials"]) == 4 and None not in nodes and len(nodes) >= 2, report["all_trials"]
    assert report["export"]["verified"] is True


def test_a_trial_bigger_than_every_node_is_refused_with_each_nodes_numbers(cluster, tmp_path):
    address, env = cluster
    proc = _launch(address, env, tmp_path, "--gpus", "2", "--gpus-per-trial", "2")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (f"--gpus-per-trial 2 asked for, but no single node of the cluster at {address} has 2 GPUs "
            "(its 3 nodes have 1, 1, 1); a trial runs on one node") in proc.stderr
    assert not (tmp_path / "spread").exists()


def test_a_dry_run_plans_four_packed_trials_per_gpu_on_every_node(cluster, tmp_path):
    """Each node declares one GPU to Ray (a fake resource: no GPU here); a quarter GPU and a quarter
    CPU per trial fit four trials on each of the three nodes. --dry-run checks and plans, trains nothing."""
    address, env = cluster
    proc = _launch(address, env, tmp_path, "--gpus", "3", "--gpus-per-trial", "0.25", "--cpus-per-trial", "0.25", "--dry-run")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "12 at a time, 0.25 CPU + 0.25 GPU each" in out and "dry run" in out and "nothing trained" in out
    assert [p.name for p in tmp_path.iterdir()] == [], "a dry run wrote in the runs folder"


ALIVE = """
import sys, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
print(sum(n["Alive"] for n in ray.nodes()))
"""


def _alive(address: str, env: dict) -> int:
    out = subprocess.run([sys.executable, "-c", ALIVE, address], env={**env, "RAY_AUTH_MODE": "token"},
                         capture_output=True, text=True, timeout=120)
    return int(out.stdout.strip() or 0)


def test_a_node_that_cannot_see_the_runs_folder_is_refused_before_training(cluster, tmp_path):
    """A fourth node in its own mount namespace with an empty tmpfs over the runs folder: to it the
    folder is not the driver's (as on a node with its own local disk), so the launch stops at once."""
    from tests.integration.test_recovery import _wait_for

    address, env = cluster
    runs = tmp_path / "runs"
    runs.mkdir()
    blind = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-c",
         f"mount -t tmpfs none {runs} && exec ray start --address={address} --node-ip-address=127.0.0.1 --num-cpus=1 --disable-usage-stats"],
        env={**env, "RAY_AUTH_MODE": "token"}, capture_output=True, text=True, timeout=120)
    if blind.returncode != 0 and ("mount" in blind.stderr or "unshare" in blind.stderr):
        pytest.skip(f"cannot make a private mount namespace here: {blind.stderr.strip()[-300:]}")
    assert blind.returncode == 0, blind.stderr[-2000:]
    assert _wait_for(lambda: _alive(address, env) == 4, timeout=60)
    proc = _launch(address, env, runs, "--gpus", "0")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert re.search(rf"the runs folder {re.escape(str(runs))} is not visible from 1 of the cluster's 4 nodes: \S+ \([0-9a-f]{{8}}\);", proc.stderr)
    assert "put --runs-dir on storage every node mounts at the same path" in proc.stderr
    assert list(runs.iterdir()) == [], "the check left something in the runs folder"


HEAD_ID = """
import sys, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
print(next(n["NodeID"] for n in ray.nodes() if "node:__internal_head__" in n["Resources"]))
"""


def _raylet_pid(node_id: str) -> int:
    import psutil

    return next(p.pid for p in psutil.process_iter(["cmdline"]) if f"--node_id={node_id}" in " ".join(p.info["cmdline"] or []))


def _running_on_a_worker_node(exp_dir: Path, head: str) -> str | None:
    """The node id of a worker node (not the head) that a still-running trial reported from."""
    for result in exp_dir.glob("tune/*/result.json"):
        lines = result.read_text().splitlines()
        last = json.loads(lines[-1]) if lines else {}
        if last.get("node_id") not in (None, head) and not last.get("final"):
            return last["node_id"]
    return None


def test_a_worker_node_killed_mid_run_loses_no_trial(tmp_path):
    """SIGKILL one worker node's raylet while a trial trains there: Ray marks the node dead, Tune
    retries its trials from their checkpoints on the nodes left, and every trial completes."""
    from tests.integration.test_recovery import _wait_for

    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "CPUS_PER_NODE": "1",
           "GG_CLUSTER_TMP": f"/tmp/ggr{port}"}
    _script("start", "2", str(port), env=env)
    try:
        head = subprocess.run([sys.executable, "-c", HEAD_ID, f"127.0.0.1:{port}"], env={**env, "RAY_AUTH_MODE": "token"},
                              capture_output=True, text=True, timeout=120, check=True).stdout.strip()
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(ROOT / "configs" / "quickstart.yaml"),
             "--address", f"127.0.0.1:{port}", "--runs-dir", str(tmp_path), "--name", "nodelost", "--samples", "1",
             "--epochs", "150", "--gpus", "0", "--set", "diagnosis.learning_curve=false", "--set", "scheduler.type=none",
             "--set", "output.checkpoint_every=5", "--set", "variants=[{kind: baseline}, {kind: l2}, {kind: dropout}, {kind: early_stopping}]"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        exp_dir = tmp_path / "nodelost"
        assert _wait_for(lambda: _running_on_a_worker_node(exp_dir, head) or proc.poll() is not None, timeout=240)
        victim = _running_on_a_worker_node(exp_dir, head)
        assert victim is not None, proc.communicate()[1][-2000:]
        os.kill(_raylet_pid(victim), 9)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        report = json.loads((exp_dir / "report.json").read_text())
        assert report["trials"]["total"] == 4 and report["trials"]["errored"] == 0, report["trials"]
        assert all(t["status"] in ("completed", "early_stopped") for t in report["all_trials"]), report["all_trials"]
        assert victim not in {t["node"]["id"] for t in report["all_trials"]}, "a trial's last report came from the dead node"
    finally:
        _script("stop", str(port), env=env)
