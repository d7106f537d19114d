"""Start or join Ray: the driver's door to a cluster.

A local Ray advertises 127.0.0.1, has no dashboard, and keeps Ray's token authentication on (its
sockets still listen on every interface; the token is what protects them). Joining an address
fails in seconds, with one line, when nothing answers there or the token is refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from typing import Callable

from orchestrator.driver import logfile
from orchestrator.driver.background import in_background
from orchestrator.errors import ClusterError

WORKER_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
# Per-epoch checkpoints of small models make Tune snapshot often; its warning about that is noise here.
# RAY_AIR_NEW_OUTPUT=0: Tune's new console output ignores verbose=0 and points TensorBoard at a temp dir.
# TUNE_DISABLE_AUTO_CALLBACK_LOGGERS=1: no tensorboardX logger (trials write their own TensorBoard
# runs, one HParams session each); the CSV and JSON loggers are added back explicitly in `run`.
# RAY_enable_worker_prestart=0, RAY_prestart_worker_first_driver=0: a Ray started here prestarts no
# idle workers. Ray starts one per CPU for the default environment, but Tune gives every trial actor a
# runtime_env of its own (tune/execution/class_cache.py: env_vars PL_DISABLE_FORK), so no trial ever
# runs in one, and a worker that ran a task is never handed to an actor either (both checked by pid,
# with a TensorFlow-importing warm-up task per trial slot): they only took CPU while the driver starts.
DRIVER_ENV = {**WORKER_ENV, "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0", "RAY_AIR_NEW_OUTPUT": "0",
              "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1", "RAY_enable_worker_prestart": "0", "RAY_prestart_worker_first_driver": "0"}


def auth_for_joining(address: str | None) -> None:
    """Ray 2.60 turns token authentication on for clusters it starts, but a client given an explicit
    address stays 'disabled' and is refused. Say 'token' before Ray is first imported (Ray caches its
    config); set RAY_AUTH_MODE=disabled yourself only for a cluster that has it off."""
    if address:
        os.environ.setdefault("RAY_AUTH_MODE", "token")


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


def connect(address: str | None, meanwhile: Callable[[], object] | None = None) -> bool:
    """Start a local Ray or join `address`; returns True when this call started it (so it stops it).
    `meanwhile` (the driver's TensorFlow import) runs in a thread while Ray starts, where native
    start-up lines cannot reach the console from there (`logfile.redirected`); its failure is left
    for the caller's own import to meet."""
    import ray

    if ray.is_initialized():
        return False
    os.environ.update({k: os.environ.get(k, v) for k, v in DRIVER_ENV.items()})
    if meanwhile is not None and logfile.redirected():
        in_background(meanwhile, "while-ray-starts")  # after `import ray`: no two threads importing the same modules
    # Workers' output stays in Ray's session logs (copied into runs/NAME/logs/ray/) unless --verbose.
    common = dict(logging_level=logging.WARNING, log_to_driver=logfile.verbose(), runtime_env={"env_vars": WORKER_ENV})
    if address:
        check_reachable(address)
    try:
        if address:
            # The GCS client prints a warning per retry; the one line below says what went wrong.
            with logfile.native_stderr_muted(replay_on_error=bool(os.environ.get("GG_DEBUG"))):
                ray.init(address=address, **common)
        else:
            # The CPUs this process may use (affinity and cgroup quota, under Slurm, Docker or Kubernetes), not the host's.
            from orchestrator.tuning.resources import usable_cpus

            ray.init(address="local", num_cpus=usable_cpus(), include_dashboard=False, _node_ip_address="127.0.0.1", **common)
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


@contextlib.contextmanager
def connected(address: str | None, meanwhile: Callable[[], object] | None = None):
    """`connect` for the length of a `with` block; stops Ray afterwards only if this call started it."""
    started = connect(address, meanwhile)
    try:
        yield
    finally:
        if started:
            disconnect()


def disconnect() -> None:
    import ray

    ray.shutdown()


def available() -> dict[str, float]:
    import ray

    resources = ray.cluster_resources()
    return {"CPU": float(resources.get("CPU", 0)), "GPU": float(resources.get("GPU", 0))}


def nodes() -> list[dict[str, float]]:
    """Each live node's CPUs and GPUs: a trial must fit on one of them."""
    import ray

    return [{"CPU": float(n["Resources"].get("CPU", 0)), "GPU": float(n["Resources"].get("GPU", 0))}
            for n in ray.nodes() if n.get("Alive")]


PACKAGES = ("gg-train", "tensorflow", "keras", "ray")  # what must match between the driver and every node


def _make_probe():
    """The task each node runs, made inside a function so Ray ships it by value: it runs on a node
    where gg-train is missing (and reports that) instead of failing to unpickle there."""

    def _probe(marker: str, packages: tuple) -> dict:
        """What one node sees: the marker (a path, or an object in s3:// or gs:// storage, read with
        the node's own credentials), and its package versions (from metadata, no import)."""
        import importlib.metadata
        import os

        def version(name):
            try:
                return importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                return None

        def sees() -> bool:
            if "://" not in marker:
                return os.path.exists(marker)
            try:
                import pyarrow.fs as pafs

                fs, path = pafs.FileSystem.from_uri(marker)
                return fs.get_file_info(path).type == pafs.FileType.File
            except Exception:
                return False

        return {"sees": sees(), "versions": {name: version(name) for name in packages}}

    return _probe


def check_nodes(storage_root: str | None) -> None:
    """Before anything trains. With shared storage, this driver must be able to write there. On a
    cluster of several nodes, the experiment needs shared storage (trials save checkpoints and
    TensorBoard logs there and the driver evaluates from there; Ray 2.7+ no longer copies trial
    folders to the head), every node must see it, and every node must run the driver's versions of
    gg-train, TensorFlow, Keras and Ray. Proven, not assumed: a zero-CPU task pinned to each node
    looks for a marker written here and reads its package versions."""
    import ray

    from orchestrator.tuning import storage

    alive = [n for n in ray.nodes() if n.get("Alive")]
    if storage_root is None:
        if len(alive) > 1:
            raise ClusterError(f"this cluster has {len(alive)} nodes and the experiment has no shared storage, so trials on "
                               "other nodes would save checkpoints where gg-train cannot read them",
                               "pass --storage s3://BUCKET/PATH, gs://BUCKET/PATH or a folder every node mounts at the same path")
        return
    marker = storage.write_marker(storage_root)
    try:
        seen = _probe_nodes(alive, marker) if len(alive) > 1 else []
    finally:
        storage.remove(marker)
    _refuse_blind(storage_root, alive, seen)
    _refuse_mismatch(alive, seen, _make_probe()(marker, PACKAGES)["versions"])


def _probe_nodes(alive: list[dict], marker: str) -> list[dict]:
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    probe = ray.remote(num_cpus=0)(_make_probe())
    try:
        return ray.get([probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(marker, PACKAGES)
                        for n in alive], timeout=120)
    except ray.exceptions.GetTimeoutError:
        raise ClusterError("a node of the cluster did not answer gg-train's check within 120 s",
                           "check that every node is up (ray status) and try again") from None


def _named(nodes: list[dict]) -> str:
    return ", ".join(f"{n['NodeManagerAddress']} ({n['NodeID'][:8]})" for n in nodes[:5])


def _refuse_blind(runs, alive: list[dict], seen: list[dict]) -> None:
    blind = [n for n, s in zip(alive, seen) if not s["sees"]]
    if blind:
        raise ClusterError(f"the storage {runs} is not visible from {len(blind)} of the cluster's {len(alive)} nodes: {_named(blind)}; "
                           "trials there could not save checkpoints where gg-train reads them",
                           "mount the folder on every node at the same path, or give those nodes credentials for the bucket")


def _refuse_mismatch(alive: list[dict], seen: list[dict], mine: dict) -> None:
    for name in PACKAGES:
        odd = [(n, s["versions"][name]) for n, s in zip(alive, seen) if s["versions"][name] != mine[name]]
        if odd:
            theirs = ", ".join(f"{n['NodeManagerAddress']} ({n['NodeID'][:8]}) has {v or 'none'}" for n, v in odd[:5])
            raise ClusterError(f"{name} differs between this driver ({mine[name]}) and {len(odd)} node(s): {theirs}",
                               f"install {name}=={mine[name]} on every node (the same image or environment everywhere)")
