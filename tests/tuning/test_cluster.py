"""The per-node checks' refusals, from what each node reported (the probe itself runs on a real
multi-node cluster in tests/integration/test_multinode.py)."""

from __future__ import annotations

import pytest

from orchestrator.errors import ClusterError
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
