"""`--address`: join a Ray cluster (a head started with cluster/local_head.sh on loopback, token
authentication on) instead of starting one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.report.tensorboard import free_port

pytestmark = pytest.mark.ray
ROOT = Path(__file__).resolve().parents[2]


def test_launch_joins_a_running_cluster(tmp_path):
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    head = subprocess.Popen(["bash", str(ROOT / "cluster" / "local_head.sh"), str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(8)
        proc = subprocess.run(
            [sys.executable, "-m", "orchestrator.cli", "launch", "--config", str(ROOT / "configs" / "quickstart.yaml"),
             "--address", f"127.0.0.1:{port}", "--runs-dir", str(tmp_path), "--name", "joined",
             "--samples", "1", "--epochs", "2", "--set", "variants=[{kind: baseline}, {kind: l2}]",
             "--set", "diagnosis.learning_curve=false"],
            capture_output=True, text=True, timeout=300, env=env)
        assert proc.returncode == 0, proc.stderr[-2000:]
        manifest = json.loads((tmp_path / "joined" / "manifest.json").read_text())
        assert manifest["status"] == "finished" and manifest["resources"]["address"] == f"127.0.0.1:{port}"
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        head.wait(timeout=60)
        time.sleep(3)  # let the head's processes go before the next test starts a Ray of its own
