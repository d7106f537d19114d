"""Resource arithmetic: impossible requests fail before anything trains, with the numbers."""

from __future__ import annotations

import pytest

from orchestrator.config import build_config
from orchestrator.errors import ClusterError
from orchestrator.tuning.resources import plan_resources


def plan(have_cpu=2, have_gpu=0, **resources):
    return plan_resources(build_config({"resources": resources}), {"CPU": have_cpu, "GPU": have_gpu})


def test_cpu_machine_defaults_to_cpu_trials_two_at_a_time():
    p = plan()
    assert (p.gpus, p.gpus_per_trial, p.max_concurrent) == (0, 0, 2)
    assert p.trial_resources() == {"cpu": 1, "gpu": 0}


def test_all_gpus_by_default_one_per_trial():
    p = plan(have_cpu=16, have_gpu=4)
    assert (p.gpus, p.gpus_per_trial, p.max_concurrent) == (4, 1, 4)
    assert p.trial_resources() == {"cpu": 1, "gpu": 1}


def test_two_gpus_per_trial_halves_concurrency():
    assert plan(have_cpu=16, have_gpu=4, gpus=4, gpus_per_trial=2).max_concurrent == 2


def test_more_gpus_than_exist_names_the_count():
    with pytest.raises(ClusterError, match=r"--gpus 4 asked for, but this machine has 0 GPU"):
        plan(gpus=4)


def test_more_gpus_per_trial_than_gpus():
    with pytest.raises(ClusterError, match="--gpus-per-trial 2 is more than --gpus 1"):
        plan(have_gpu=2, gpus=1, gpus_per_trial=2)


def test_more_cpus_per_trial_than_the_machine_has():
    with pytest.raises(ClusterError, match="--cpus-per-trial 4 is more than the 2 CPUs"):
        plan(cpus_per_trial=4)


def test_gpus_must_be_a_multiple_of_gpus_per_trial():
    with pytest.raises(ClusterError, match="--gpus 3 is not a multiple of --gpus-per-trial 2: 1 GPU"):
        plan(have_cpu=8, have_gpu=4, gpus=3, gpus_per_trial=2)


def test_gpu_trials_on_a_machine_without_gpus():
    with pytest.raises(ClusterError, match="--gpus-per-trial 2 asked for, but this machine has no GPU"):
        plan(gpus_per_trial=2)


def test_cpu_replicas_are_for_cpu_trials():
    assert plan(cpu_replicas=2).cpu_replicas == 2
    with pytest.raises(ClusterError, match="--cpu-replicas 2 is for CPU trials"):
        plan(have_gpu=1, cpu_replicas=2)


@pytest.mark.parametrize("address, message", [
    ("127.0.0.1:1", "nothing answers at cluster address '127.0.0.1:1'"),
    ("ray://127.0.0.1:1", "nothing answers at cluster address"),
    ("justahost", "is not host:port"),
    ("host:notaport", "is not host:port"),
])
def test_a_bad_cluster_address_fails_fast_with_one_line(address, message):
    from orchestrator.tuning.cluster import check_reachable

    with pytest.raises(ClusterError, match=message) as info:
        check_reachable(address, timeout=1)
    assert "\n" not in info.value.one_line()


def _cgroup(tmp_path, files: dict[str, str]):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_a_cgroup_cpu_quota_caps_the_cpus_of_a_local_ray(tmp_path, monkeypatch):
    """A container limited to 4 CPUs on a 64-core host gets 4, not 64 (the affinity mask shows 64)."""
    import os

    from orchestrator.tuning.resources import usable_cpus

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    v2 = _cgroup(tmp_path / "v2", {"cpu.max": "max 100000\n", "kube/pod/cpu.max": "400000 100000\n"})
    assert usable_cpus(v2, "0::/kube/pod\n") == 4
    v1 = _cgroup(tmp_path / "v1", {"cpu/docker/abc/cpu.cfs_quota_us": "250000\n", "cpu/docker/abc/cpu.cfs_period_us": "100000\n"})
    assert usable_cpus(v1, "1:cpu,cpuacct:/docker/abc\n0::/\n") == 3  # 2.5 CPUs of quota: 3 trials' worth, rounded up
    unlimited = _cgroup(tmp_path / "none", {"cpu.max": "max 100000\n"})
    assert usable_cpus(unlimited, "0::/\n") == 64
    assert usable_cpus(tmp_path / "missing", "0::/x\n") == 64


def on_nodes(nodes, **resources):
    have = {"CPU": sum(n["CPU"] for n in nodes), "GPU": sum(n["GPU"] for n in nodes)}
    return plan_resources(build_config({"resources": resources}), have, "the cluster at 10.0.0.5:6379", nodes)


def test_a_trial_that_needs_more_gpus_than_any_one_node_has_is_refused_with_every_nodes_count():
    nodes = [{"CPU": 8, "GPU": 1}] * 3  # three GPUs in all, but never two on one node
    with pytest.raises(ClusterError, match=r"--gpus-per-trial 2 asked for, but no single node of the cluster at 10.0.0.5:6379 "
                                           r"has 2 GPUs \(its 3 nodes have 1, 1, 1\); a trial runs on one node") as err:
        on_nodes(nodes, gpus=2, gpus_per_trial=2)
    assert "use --gpus-per-trial 1 or fewer" in err.value.one_line()


def test_a_trial_that_needs_more_cpus_than_any_one_node_has_is_refused():
    with pytest.raises(ClusterError, match=r"--cpus-per-trial 5 asked for, but no single node .* has 5 CPUs \(its 2 nodes have 4, 4\)"):
        on_nodes([{"CPU": 4, "GPU": 0}] * 2, cpus_per_trial=5)


def test_concurrency_counts_the_trials_each_node_holds_not_the_cluster_totals():
    # 8 CPUs in all hold three 2.5-CPU trials, but each 4-CPU node holds only one.
    assert on_nodes([{"CPU": 4, "GPU": 0}] * 2, cpus_per_trial=2.5).max_concurrent == 2
    assert on_nodes([{"CPU": 16, "GPU": 2}, {"CPU": 16, "GPU": 1}, {"CPU": 16, "GPU": 1}], gpus_per_trial=2).max_concurrent == 1


def test_a_quarter_gpu_per_trial_packs_four_trials_onto_one_gpu():
    p = plan(have_cpu=8, have_gpu=1, gpus_per_trial=0.25)
    assert (p.gpus, p.gpus_per_trial, p.max_concurrent) == (1, 0.25, 4)
    assert p.trial_resources() == {"cpu": 1, "gpu": 0.25}
    assert on_nodes([{"CPU": 8, "GPU": 1}, {"CPU": 8, "GPU": 1}], gpus_per_trial=0.25).max_concurrent == 8


@pytest.mark.parametrize("share, message", [(1.5, "must be a whole number of GPUs, or a share of one below 1"),
                                            (0.001, "too little to hold a model")])
def test_a_share_that_is_neither_whole_nor_below_one_is_refused(share, message):
    from orchestrator.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        build_config({"resources": {"gpus_per_trial": share}})


def test_a_trial_of_two_workers_takes_two_worker_slots_and_its_actor_next_to_nothing():
    p = on_nodes([{"CPU": 1, "GPU": 0}] * 3, workers_per_trial=2)  # three one-CPU nodes: one such trial at a time
    assert (p.workers, p.max_concurrent) == (2, 1)
    assert p.trial_resources() == {"cpu": 0, "memory": 2**20} and p.worker_resources() == {"CPU": 1}
    assert on_nodes([{"CPU": 4, "GPU": 2}] * 2, workers_per_trial=2).worker_resources() == {"CPU": 1, "GPU": 1}
    assert on_nodes([{"CPU": 4, "GPU": 0}] * 2, workers_per_trial=2).max_concurrent == 4


def test_more_workers_than_the_cluster_holds_at_once_is_refused_with_the_count():
    with pytest.raises(ClusterError, match=r"--workers-per-trial 4 asked for, but the cluster at 10.0.0.5:6379 holds 3 worker\(s\) "
                                           r"of 1 CPU at once") as err:
        on_nodes([{"CPU": 1, "GPU": 0}] * 3, workers_per_trial=4)
    assert "use --workers-per-trial 3 or fewer" in err.value.one_line()


@pytest.mark.parametrize("resources, message", [({"workers_per_trial": 2, "cpu_replicas": 2}, "use one"),
                                                ({"workers_per_trial": 2, "gpus_per_trial": 0.5}, "whole GPUs per worker")])
def test_workers_per_trial_does_not_mix_with_other_ways_of_splitting_a_trial(resources, message):
    from orchestrator.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        build_config({"resources": resources})
