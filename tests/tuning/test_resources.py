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
