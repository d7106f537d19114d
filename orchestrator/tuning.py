"""Ray behind one door: start or join Ray, check resources, build and run the Tuner.

A local Ray advertises 127.0.0.1, has no dashboard, and keeps Ray's token authentication on (its
sockets still listen on every interface; the token is what protects them). Results leave this
module as plain `TrialOutcome`s so evaluation and reporting never import Ray.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ray import tune
from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

from orchestrator.config import ExperimentConfig
from orchestrator.errors import ClusterError
from orchestrator.quiet import native_stderr_muted
from orchestrator.tuning_types import Interrupted, TrialOutcome

WORKER_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
# Per-epoch checkpoints of small models make Tune snapshot often; its warning about that is noise here.
# RAY_AIR_NEW_OUTPUT=0: Tune's new console output ignores verbose=0 and points TensorBoard at a temp dir.
# TUNE_DISABLE_AUTO_CALLBACK_LOGGERS=1: no tensorboardX logger (trials write their own TensorBoard
# runs, one HParams session each); the CSV and JSON loggers are added back explicitly in `run`.
DRIVER_ENV = {**WORKER_ENV, "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0", "RAY_AIR_NEW_OUTPUT": "0",
              "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1"}


def check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail in seconds on an address nothing listens at; `ray.init` would retry for many minutes."""
    if address == "auto":
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ClusterError(f"cluster address '{address}' is not host:port", "pass e.g. --address 10.0.0.5:6379 or ray://10.0.0.5:10001")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ClusterError(f"nothing answers at cluster address '{address}' ({exc.strerror or exc})",
                           "start the head node (ray start --head) or check the host and port") from None


def connect(address: str | None) -> bool:
    """Start a local Ray or join `address`; returns True when this call started it (so it stops it)."""
    import ray

    if ray.is_initialized():
        return False
    os.environ.update({k: os.environ.get(k, v) for k, v in DRIVER_ENV.items()})
    common = dict(logging_level=logging.WARNING, log_to_driver=False, runtime_env={"env_vars": WORKER_ENV})
    if address:
        check_reachable(address)
    try:
        if address:
            # The GCS client prints a warning per retry; the one line below says what went wrong.
            with native_stderr_muted(replay_on_error=bool(os.environ.get("GG_DEBUG"))):
                ray.init(address=address, **common)
        else:
            # The CPUs this process may use (cgroup/affinity limits under Slurm or Kubernetes), not the host's.
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            ray.init(address="local", num_cpus=cpus, include_dashboard=False, _node_ip_address="127.0.0.1", **common)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError… for a bad address
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        if address and ("InvalidAuthToken" in str(exc) or "AuthenticationError" in type(exc).__name__):
            raise ClusterError(f"the Ray cluster at '{address}' refused this client's token",
                               "put the cluster's token in RAY_AUTH_TOKEN or ~/.ray/auth_token (ray get-auth-token on the head)") from None
        if address:
            raise ClusterError(
                f"cannot join the Ray cluster at '{address}': {first}",
                "check the address (host:6379 or ray://host:10001), that the cluster is up, and that RAY_AUTH_TOKEN holds its token",
            ) from None
        raise ClusterError(f"cannot start a local Ray instance: {first}", "run `ray stop` and try again; GG_DEBUG=1 shows details") from None
    return True


def disconnect() -> None:
    import ray

    ray.shutdown()


def available() -> dict[str, float]:
    import ray

    resources = ray.cluster_resources()
    return {"CPU": float(resources.get("CPU", 0)), "GPU": float(resources.get("GPU", 0))}


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


_interrupted = threading.Event()
# A restored Tuner brings back its pickled callbacks without their printer: they print through this.
_printer: Callable[[str, dict], None] | None = None


class ProgressCallback(tune.Callback):
    """Forwards Tune's trial events, as plain dicts, to a printer that knows nothing of Ray, and
    notes a Ctrl-C: Tune stops gracefully on SIGINT and `fit` returns normally, so without this
    note a partial experiment would be evaluated as if it had finished."""

    def setup(self, **info):
        tune_handler = signal.getsignal(signal.SIGINT)

        def on_sigint(signum, frame):
            _interrupted.set()
            if callable(tune_handler):
                tune_handler(signum, frame)
            else:
                raise KeyboardInterrupt

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_sigint)

    def __init__(self, on_event: Callable[[str, dict], None]) -> None:
        self.on_event = on_event

    def __getstate__(self) -> dict:
        # The Tuner pickles its callbacks into tuner.pkl; the printer (a console, a lock) stays behind.
        return {"on_event": None}

    def _emit(self, kind: str, info: dict) -> None:
        target = self.on_event or _printer
        if target is not None:
            target(kind, info)

    @staticmethod
    def _info(trials, trial, result: dict | None = None) -> dict:
        running = sum(1 for t in trials if t.status == "RUNNING" and t is not trial)
        return {"trial": trial_name(trial), "variant": trial.config.get("variant"), "running": running,
                "result": dict(result or trial.last_result or {})}

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self._emit("result", self._info(trials, trial, result))

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._emit("complete", self._info(trials, trial))

    def on_trial_error(self, iteration, trials, trial, **info):
        self._emit("error", self._info(trials, trial))


def trial_name(trial) -> str:
    return f"{trial.config['variant']}_{trial.trial_id}"


HPARAM_KEYS = ("learning_rate", "hidden", "l2", "dropout", "patience", "batch_size", "class_weight", "seed")


def _status(metrics: dict, error) -> str:
    if error is not None:
        return "errored"
    if metrics.get("diverged"):
        return "diverged"
    if metrics.get("early_stopped"):
        return "early_stopping"
    if not metrics.get("final"):
        return "stopped_early"
    return "completed"


def outcomes(results) -> list[TrialOutcome]:
    """ResultGrid → TrialOutcomes, in a stable order (variant, trial id)."""
    out = []
    for result in results:
        config, metrics = result.config or {}, dict(result.metrics or {})
        out.append(TrialOutcome(
            trial_id=str(metrics.get("trial_id") or Path(result.path).name),
            variant=str(config.get("variant", "?")),
            kind=str(config.get("kind", "?")),
            hparams={k: config[k] for k in HPARAM_KEYS if k in config},
            metrics=metrics,
            max_epochs=int(config.get("epochs", 0)),
            status=_status(metrics, result.error),
            checkpoint=result.checkpoint.path if result.checkpoint is not None else None,
            error=(str(result.error).strip().splitlines() or [""])[-1][:300] if result.error is not None else None,
        ))
    return sorted(out, key=lambda o: (o.variant, o.trial_id))


def can_restore(exp_dir: Path) -> bool:
    return tune.Tuner.can_restore(str((exp_dir / "tune").resolve()))


def run(config: ExperimentConfig, plan: Plan, storage: Path, setup, data, on_event: Callable[[str, dict], None], restore: bool = False):
    """Build (or restore) the Tuner over the trial trainable and run it to the end; returns
    TrialOutcomes. Raises `Interrupted` when Ctrl-C stopped it before every trial ended."""
    from orchestrator import search
    from orchestrator.trial import tune_trainable

    trainable = tune.with_resources(tune.with_parameters(tune_trainable, setup=setup, data=data), plan.trial_resources())
    if restore:
        # tuner.pkl is a pickle: we only ever restore experiment folders this tool wrote.
        # param_space again: Tune stores sample_from values as placeholders that it resolves from it.
        tuner = tune.Tuner.restore(str((storage / "tune").resolve()), trainable=trainable, param_space=search.param_space(config),
                                   resume_unfinished=True, resume_errored=True)
    else:
        tuner = _new_tuner(config, plan, storage, trainable, on_event, search)
    global _printer
    _printer = on_event
    _interrupted.clear()
    before = signal.getsignal(signal.SIGINT)
    try:
        results = tuner.fit()
    finally:
        # Tune leaves its own SIGINT handler behind after a normal fit; a later Ctrl-C (during the
        # evaluation or the export check) must interrupt again.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, before)
    if _interrupted.is_set() or results.num_terminated + results.num_errors < len(results):
        raise Interrupted(storage)
    return outcomes(results)


def _new_tuner(config: ExperimentConfig, plan: Plan, storage: Path, trainable, on_event, search):
    selection = config.search
    return tune.Tuner(
        trainable,
        param_space=search.param_space(config),
        tune_config=tune.TuneConfig(
            metric=selection.metric,
            mode=selection.resolved_mode,
            scheduler=search.scheduler(config),
            num_samples=config.search.samples,
            max_concurrent_trials=plan.max_concurrent,
            reuse_actors=False,
            trial_name_creator=trial_name,
            trial_dirname_creator=trial_name,
        ),
        run_config=tune.RunConfig(
            name="tune",
            storage_path=str(storage.resolve()),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=config.output.checkpoints_to_keep),
            # A trial whose process dies is retried from its last checkpoint, up to max_retries times.
            failure_config=tune.FailureConfig(max_failures=config.failure.max_retries),
            callbacks=[ProgressCallback(on_event), CSVLoggerCallback(), JsonLoggerCallback()],
            verbose=0,
        ),
    )
