"""The resource plan: what each trial gets and how many run at once, checked against what Ray
sees before anything trains, with the numbers in the message when it does not fit."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.config import ExperimentConfig
from orchestrator.errors import ClusterError


@dataclass(frozen=True)
class Plan:
    gpus: int
    gpus_per_trial: int
    cpus_per_trial: float
    max_concurrent: int
    cpu_replicas: int = 1

    def trial_resources(self) -> dict[str, float]:
        return {"cpu": self.cpus_per_trial, "gpu": self.gpus_per_trial if self.gpus else 0}


def plan_resources(config: ExperimentConfig, have: dict[str, float], where: str = "this machine") -> Plan:
    """Check the request against what Ray sees, before anything trains; the numbers go in the message."""
    res = config.resources
    have_gpus, have_cpus = int(have["GPU"]), have["CPU"]
    gpus = have_gpus if res.gpus is None else res.gpus
    per_trial = res.gpus_per_trial or 1
    if gpus > have_gpus:
        raise ClusterError(f"--gpus {gpus} asked for, but {where} has {have_gpus} GPU(s)", f"use --gpus {have_gpus} or fewer")
    if gpus == 0 and res.gpus_per_trial is not None:
        why = f"{where} has no GPU" if have_gpus == 0 else "--gpus 0 was asked for"
        raise ClusterError(f"--gpus-per-trial {res.gpus_per_trial} asked for, but {why}",
                           "drop --gpus-per-trial; --cpu-replicas R runs the multi-replica path on CPU")
    if gpus and per_trial > gpus:
        raise ClusterError(f"--gpus-per-trial {per_trial} is more than --gpus {gpus}", f"use --gpus-per-trial {gpus} or fewer")
    if gpus and gpus % per_trial:
        fits = gpus - gpus % per_trial
        raise ClusterError(f"--gpus {gpus} is not a multiple of --gpus-per-trial {per_trial}: {gpus % per_trial} GPU(s) would sit idle",
                           f"use --gpus {fits}" + (f" or --gpus {fits + per_trial}" if fits + per_trial <= have_gpus else ""))
    if gpus and res.cpu_replicas > 1:
        raise ClusterError(f"--cpu-replicas {res.cpu_replicas} is for CPU trials, but this experiment uses {gpus} GPU(s)",
                           "add --gpus 0 to run the replicas on CPU, or drop --cpu-replicas")
    if res.cpus_per_trial > have_cpus:
        raise ClusterError(f"--cpus-per-trial {res.cpus_per_trial:g} is more than the {have_cpus:g} CPUs {where} has", f"use --cpus-per-trial {have_cpus:g} or fewer")
    by_cpu = int(have_cpus // res.cpus_per_trial)
    concurrent = min(by_cpu, gpus // per_trial) if gpus else by_cpu
    return Plan(gpus=gpus, gpus_per_trial=per_trial if gpus else 0, cpus_per_trial=res.cpus_per_trial,
                max_concurrent=max(1, concurrent), cpu_replicas=res.cpu_replicas if not gpus else 1)
