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
