"""A cluster of several nodes on one machine (cluster/local_cluster.sh: a head and two worker
nodes, one CPU each, separate raylets, token authentication on): a launch that joins it spreads
its trials over the nodes and records each trial's node, and a request no single node can hold is
refused before anything trains, with every node's numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.report.tensorboard import free_port

pytestmark = pytest.mark.ray
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
