"""The resource plan: what each trial gets and how many run at once, checked against what Ray
sees before anything trains, with the numbers in the message when it does not fit."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from orchestrator.config import ExperimentConfig
from orchestrator.errors import ClusterError


@dataclass(frozen=True)
class Plan:
    gpus: int
    gpus_per_trial: float  # a whole number, or a share of one GPU (0.25: four trials per GPU)
    cpus_per_trial: float
    max_concurrent: int
    cpu_replicas: int = 1
    workers: int = 1  # Ray Train workers per trial; each gets cpus_per_trial and gpus_per_trial

    def trial_resources(self) -> dict[str, float]:
        """What Tune's trial actor takes: the trial itself, or (several workers) next to nothing,
        since its Train workers take the CPUs and GPUs; Tune refuses a request of zero."""
        if self.workers > 1:
            return {"cpu": 0, "memory": 2**20}
        return {"cpu": self.cpus_per_trial, "gpu": self.gpus_per_trial if self.gpus else 0}

    def worker_resources(self) -> dict[str, float]:
        return {"CPU": self.cpus_per_trial, **({"GPU": self.gpus_per_trial} if self.gpus else {})}


def plan_resources(config: ExperimentConfig, have: dict[str, float], where: str = "this machine",
                   nodes: list[dict[str, float]] | None = None) -> Plan:
    """Check the request against what Ray sees, before anything trains; the numbers go in the
    message. `nodes` (each node's CPU and GPU) also checks that a trial fits on one node, since a
    trial never spans nodes, and counts how many fit at once node by node."""
    res = config.resources
    have_gpus, have_cpus = int(have["GPU"]), have["CPU"]
    gpus = have_gpus if res.gpus is None else res.gpus
    per_trial = res.gpus_per_trial or 1
    per_trial = int(per_trial) if per_trial >= 1 else per_trial
    _check_gpus(res, gpus, per_trial, have_gpus, where)
    if res.cpus_per_trial > have_cpus:
        raise ClusterError(f"--cpus-per-trial {res.cpus_per_trial:g} is more than the {have_cpus:g} CPUs {where} has", f"use --cpus-per-trial {have_cpus:g} or fewer")
    by_cpu = int(have_cpus // res.cpus_per_trial)
    concurrent = min(by_cpu, _how_many(gpus, per_trial)) if gpus else by_cpu
    if nodes and len(nodes) > 1:
        concurrent = min(concurrent, _fit_nodes(nodes, res.cpus_per_trial, per_trial if gpus else 0, where))
    workers = res.workers_per_trial
    if workers > concurrent:  # slots for one worker each, node by node: a trial needs W of them at once
        raise ClusterError(f"--workers-per-trial {workers} asked for, but {where} holds {concurrent} worker(s) of "
                           f"{res.cpus_per_trial:g} CPU" + (f" + {per_trial:g} GPU" if gpus else "") + " at once",
                           f"use --workers-per-trial {concurrent} or fewer, or fewer CPUs/GPUs per worker")
    return Plan(gpus=gpus, gpus_per_trial=per_trial if gpus else 0, cpus_per_trial=res.cpus_per_trial,
                max_concurrent=max(1, concurrent // workers), cpu_replicas=res.cpu_replicas if not gpus else 1,
                workers=workers)


def _how_many(gpus: float, per_trial: float) -> int:
    """Trials that fit in `gpus` GPUs at `per_trial` each (0.25 → four per GPU), rounding error aside."""
    return int(gpus / per_trial + 1e-9)


def _check_gpus(res, gpus: int, per_trial: float, have_gpus: int, where: str) -> None:
    if gpus > have_gpus:
        raise ClusterError(f"--gpus {gpus} asked for, but {where} has {have_gpus} GPU(s)", f"use --gpus {have_gpus} or fewer")
    if gpus == 0 and res.gpus_per_trial is not None:
        why = f"{where} has no GPU" if have_gpus == 0 else "--gpus 0 was asked for"
        raise ClusterError(f"--gpus-per-trial {res.gpus_per_trial:g} asked for, but {why}",
                           "drop --gpus-per-trial; --cpu-replicas R runs the multi-replica path on CPU")
    if gpus and per_trial > gpus:
        raise ClusterError(f"--gpus-per-trial {per_trial:g} is more than --gpus {gpus}", f"use --gpus-per-trial {gpus} or fewer")
    if gpus and per_trial >= 1 and gpus % per_trial:
        fits = int(gpus - gpus % per_trial)
        raise ClusterError(f"--gpus {gpus} is not a multiple of --gpus-per-trial {per_trial:g}: {gpus % per_trial:g} GPU(s) would sit idle",
                           f"use --gpus {fits}" + (f" or --gpus {fits + int(per_trial)}" if fits + per_trial <= have_gpus else ""))
    if gpus and res.cpu_replicas > 1:
        raise ClusterError(f"--cpu-replicas {res.cpu_replicas} is for CPU trials, but this experiment uses {gpus} GPU(s)",
                           "add --gpus 0 to run the replicas on CPU, or drop --cpu-replicas")


def _listed(nodes: list[dict[str, float]], key: str) -> str:
    return ", ".join(f"{n.get(key, 0):g}" for n in nodes)


def _fit_nodes(nodes: list[dict[str, float]], cpus: float, gpus: float, where: str) -> int:
    """How many trials run at once when each must fit on one node; none fitting on any node is an
    error that lists what the nodes have."""
    fits = [min(int(n.get("CPU", 0) // cpus), _how_many(n.get("GPU", 0), gpus) if gpus else 1 << 30) for n in nodes]
    if max(fits) > 0:
        return sum(fits)
    if gpus and all(n.get("GPU", 0) < gpus for n in nodes):
        most = max(n.get("GPU", 0) for n in nodes)
        raise ClusterError(f"--gpus-per-trial {gpus:g} asked for, but no single node of {where} has {gpus:g} GPUs "
                           f"(its {len(nodes)} nodes have {_listed(nodes, 'GPU')}); a trial runs on one node",
                           f"use --gpus-per-trial {most:g} or fewer, or add a node with {gpus:g} GPUs")
    most = max(n.get("CPU", 0) for n in nodes)
    raise ClusterError(f"--cpus-per-trial {cpus:g} asked for, but no single node of {where} has {cpus:g} CPUs "
                       f"(its {len(nodes)} nodes have {_listed(nodes, 'CPU')}); a trial runs on one node",
                       f"use --cpus-per-trial {most:g} or fewer")


def _cgroup_paths(proc_cgroup: str) -> tuple[str | None, str | None]:
    """(cgroup v2 path, cgroup v1 cpu-controller path) of this process, from /proc/self/cgroup."""
    v2 = v1 = None
    for line in proc_cgroup.splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            v2 = parts[2]
        elif "cpu" in parts[1].split(","):
            v1 = parts[2]
    return v2, v1


def _quota(text_quota: str, text_period: str) -> float | None:
    """CPUs a quota allows (e.g. 400000 / 100000 → 4), or None when it is unlimited or unreadable."""
    try:
        quota, period = float(text_quota), float(text_period)
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def _cgroup_cpus(root: Path, proc_cgroup: str) -> float | None:
    """The tightest CPU quota on this process's cgroup or any of its parents (v2 `cpu.max`, v1 CFS)."""
    v2, v1 = _cgroup_paths(proc_cgroup)
    limits = []
    for base, rel, read in ((root, v2, lambda d: (d / "cpu.max").read_text().split()[:2]),
                            (root / "cpu", v1, lambda d: [(d / f).read_text() for f in ("cpu.cfs_quota_us", "cpu.cfs_period_us")])):
        if rel is None:
            continue
        folder = base / rel.lstrip("/")
        for d in [folder, *folder.parents]:
            try:
                limit = _quota(*read(d))
            except (OSError, TypeError, ValueError):
                limit = None
            if limit is not None:
                limits.append(limit)
            if d == base:
                break
    return min(limits) if limits else None


def usable_cpus(root: Path = Path("/sys/fs/cgroup"), proc_cgroup: str | None = None) -> int:
    """The CPUs this process may really use: its affinity mask, capped by a cgroup CPU quota
    (`docker --cpus 4`, a Kubernetes limit), which the affinity mask does not show."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            return cpus
    quota = _cgroup_cpus(Path(root), proc_cgroup)
    return max(1, min(cpus, math.ceil(quota))) if quota is not None else cpus
