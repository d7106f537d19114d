"""Shared fixtures: one real local Ray per test session (starting one costs seconds), tiny data."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def ray_local():
    """A real Ray on this machine (127.0.0.1, no dashboard), as `gg-train launch` starts it."""
    from orchestrator.tuning import cluster

    started = cluster.connect(None)
    yield
    if started:
        cluster.disconnect()


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server (moto's server mode) on 127.0.0.1 for this test session; yields
    the environment a pyarrow or boto3 client (a driver, a Ray node) needs to reach it."""
    import socket
    import subprocess
    import sys
    import time

    from orchestrator.report.tensorboard import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto's S3 server did not start on {url}")
            time.sleep(0.2)
    yield {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": url}
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def s3_bucket(s3_server, monkeypatch, request):
    """A fresh bucket on the session's S3 server, with this process's environment pointed at it;
    yields its s3:// URI."""
    import re

    import boto3

    for key, value in s3_server.items():
        monkeypatch.setenv(key, value)
    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-") + f"-{os.getpid()}"
    boto3.client("s3").create_bucket(Bucket=name)
    yield f"s3://{name}"
