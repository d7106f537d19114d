"""The cluster definitions in cluster/: the `ray up` files pass Ray's own validator (the one
`ray up` runs), and the KubeRay manifests and the image recipe have what a GPU cluster for gg-train
needs: GPU requests and tolerations, the pinned Ray version in every image, token auth on, and one
runs folder every node mounts."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import jsonschema
import pytest
import ray
import yaml

CLUSTER = Path(__file__).resolve().parents[2] / "cluster"
RAY = ray.__version__
IMAGE = re.compile(rf"^\S+/gg-train:[\w.]+-ray{re.escape(RAY)}-py311-gpu$")


def _load(name: str) -> dict:
    return yaml.safe_load((CLUSTER / name).read_text())


@pytest.mark.parametrize("name", ["aws.yaml", "gcp.yaml"])
def test_ray_up_files_pass_rays_own_validator(name):
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = _load(name)
    validate_config(config)
    validate_config(prepare_config(copy.deepcopy(config)))  # with Ray's defaults filled in, as `ray up` does
    broken = {**config, "max_worker": 3}  # a typo: the validator must really be checking
    with pytest.raises(jsonschema.ValidationError):
        validate_config(broken)


@pytest.mark.parametrize("name", ["aws.yaml", "gcp.yaml"])
def test_ray_up_files_have_gpu_workers_the_gg_train_image_and_token_auth(name):
    config = _load(name)
    workers = {k: v for k, v in config["available_node_types"].items() if k != config["head_node_type"]}
    assert any(t["resources"].get("GPU", 0) >= 1 and t["min_workers"] == 0 and t["max_workers"] >= 1 for t in workers.values())
    assert IMAGE.match(config["docker"]["image"]) and "--gpus all" in config["docker"]["worker_run_options"]
    for command in [*config["head_start_ray_commands"], *config["worker_start_ray_commands"]]:
        assert "ray start" not in command or "RAY_AUTH_MODE=token" in command, command
    assert config["file_mounts"] == {"~/.ray/auth_token": "~/.ray/auth_token"}  # the same token on every node
    assert "-v /shared:/shared" in config["docker"]["run_options"]
    assert any("/shared" in c and "mount" in c for c in config["initialization_commands"])


def _cluster_specs() -> list[tuple[str, dict]]:
    job = _load("kuberay/rayjob.yaml")
    return [("kuberay/raycluster.yaml", _load("kuberay/raycluster.yaml")["spec"]), ("kuberay/rayjob.yaml", job["spec"]["rayClusterSpec"])]


@pytest.mark.parametrize("name, spec", _cluster_specs())
def test_kuberay_clusters_pin_ray_turn_auth_on_and_request_gpus(name, spec):
    assert spec["rayVersion"] == RAY and spec["authOptions"] == {"mode": "token"}
    pods = [spec["headGroupSpec"]["template"]["spec"], *(g["template"]["spec"] for g in spec["workerGroupSpecs"])]
    for pod in pods:
        for container in pod["containers"]:
            assert IMAGE.match(container["image"]), container["image"]
            assert {"name": "shared-runs", "mountPath": "/shared"} in container["volumeMounts"]
        assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == _load("kuberay/shared-runs.yaml")["metadata"]["name"]
    for group in spec["workerGroupSpecs"]:
        pod = group["template"]["spec"]
        limits = pod["containers"][0]["resources"]["limits"]
        assert int(limits["nvidia.com/gpu"]) >= 1 and limits["nvidia.com/gpu"] == pod["containers"][0]["resources"]["requests"]["nvidia.com/gpu"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]


def test_the_rayjob_runs_gg_train_on_the_shared_runs_folder():
    job = _load("kuberay/rayjob.yaml")
    entry = job["spec"]["entrypoint"].split()
    assert entry[:2] == ["gg-train", "launch"] and entry[entry.index("--address") + 1] == "auto"
    assert entry[entry.index("--runs-dir") + 1].startswith("/shared/")
    assert entry[entry.index("--storage") + 1].startswith("/shared/")  # several nodes: gg-train refuses a launch without it
    config = entry[entry.index("--config") + 1]
    assert (CLUSTER.parent / config.removeprefix("/home/ray/gg-train/")).is_file()
    assert _load("kuberay/shared-runs.yaml")["spec"]["accessModes"] == ["ReadWriteMany"]


def test_the_image_is_rays_gpu_image_at_the_pinned_version_with_gg_train_installed():
    recipe = (CLUSTER / "Dockerfile").read_text()
    assert re.search(rf"^FROM rayproject/ray:{re.escape(RAY)}-py311-gpu$", recipe, re.M)
    assert '[gpu]"' in recipe and "ENV RAY_AUTH_MODE=token" in recipe
    for copied in re.findall(r"^COPY \S+ (.+) /home/ray/gg-train/", recipe, re.M):
        for path in copied.split():
            assert (CLUSTER.parent / path).exists(), path
