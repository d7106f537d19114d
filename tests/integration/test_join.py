"""`--address`: join a Ray cluster (a head started with cluster/local_head.sh on loopback, token
authentication on) instead of starting one."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.report.tensorboard import free_port
from tests.integration.test_recovery import _wait_for

pytestmark = pytest.mark.ray
ROOT = Path(__file__).resolve().parents[2]


def test_launch_joins_a_running_cluster(tmp_path):
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    log = tmp_path / "head.log"
    with open(log, "w") as out:
        head = subprocess.Popen(["bash", str(ROOT / "cluster" / "local_head.sh"), str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # `ray start --block` says it will "block forever" once the head is up
        _wait_for(lambda: "block forever" in log.read_text() or head.poll() is not None, timeout=90)
        assert head.poll() is None and "block forever" in log.read_text(), log.read_text()[-2000:]
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
        head.terminate()  # the head alone, as `kill PID` would: it drains and stops its processes in ~2 s
        head.wait(timeout=60)  # (SIGTERM to the whole group makes it wait 30 s for processes already gone)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)
        time.sleep(3)  # let the head's processes go before the next test starts a Ray of its own
