"""The per-node checks' refusals, from what each node reported (the probe itself runs on a real
multi-node cluster in tests/integration/test_multinode.py)."""

from __future__ import annotations

import os
import threading

import pytest

from orchestrator.errors import ClusterError
from orchestrator.tuning import cluster
from orchestrator.tuning.cluster import PACKAGES, _make_probe, _refuse_mismatch

NODES = [{"NodeManagerAddress": "10.0.0.5", "NodeID": "aa" * 28}, {"NodeManagerAddress": "10.0.0.6", "NodeID": "bb" * 28}]


def _versions(**changed):
    return {"sees": True, "versions": {**{name: "1.0" for name in PACKAGES}, **changed}}


def test_a_node_with_another_tensorflow_is_named_with_both_versions():
    with pytest.raises(ClusterError, match=r"tensorflow differs between this driver \(1.0\) and 1 node\(s\): 10.0.0.6 \(bbbbbbbb\) has 2.20.0") as err:
        _refuse_mismatch(NODES, [_versions(), _versions(tensorflow="2.20.0")], _versions()["versions"])
    assert "install tensorflow==1.0 on every node" in err.value.one_line()


def test_a_node_without_gg_train_is_named():
    with pytest.raises(ClusterError, match=r"gg-train differs between this driver \(1.0\) and 1 node\(s\): 10.0.0.5 \(aaaaaaaa\) has none"):
        _refuse_mismatch(NODES, [_versions(**{"gg-train": None}), _versions()], _versions()["versions"])


def test_the_probe_reads_this_environments_versions_and_the_marker(tmp_path):
    marker = tmp_path / "marker"
    marker.touch()
    seen = _make_probe()(str(marker), PACKAGES)
    assert seen["sees"] is True and seen["versions"]["gg-train"] and seen["versions"]["tensorflow"]
    assert _make_probe()(str(tmp_path / "absent"), PACKAGES)["sees"] is False


@pytest.mark.parametrize("redirected", [True, False])
def test_the_drivers_import_runs_while_ray_starts_only_where_native_lines_cannot_reach_the_console(monkeypatch, redirected):
    """`meanwhile` runs in its own thread during `ray.init` under a command's capture (or --verbose);
    elsewhere (gg-train as a library) it is left to the caller, which imports muted, block by block."""
    import ray

    from orchestrator.driver import logfile

    ran, init = [], threading.Event()
    monkeypatch.setattr(os, "environ", dict(os.environ))  # connect sets Ray's variables for the process
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda **kwargs: init.wait(60))  # Ray "starting" until the import has run
    monkeypatch.setattr(logfile, "redirected", lambda: redirected)

    def meanwhile():
        ran.append(threading.current_thread().name)
        init.set()

    if not redirected:
        init.set()
    assert cluster.connect(None, meanwhile) is True
    assert [name.startswith("gg-while-ray-starts") for name in ran] == ([True] if redirected else [])
