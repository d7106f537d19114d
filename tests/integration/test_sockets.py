"""Ray's sockets: every TCP port a local run (`cluster.connect(None)`) listens on, and what protects it.

Lists the LISTEN sockets of this process and its descendants (the driver's core worker, gcs_server,
raylet, workers, agents), names each by what Ray says it is (GCS address, the node's ports, the GCS
worker table), and for each one that is not loopback-only calls a real method from another address
(the node's own, not 127.0.0.1) without the token: gRPC must answer UNAUTHENTICATED, HTTP 401.
The same call with the token must succeed (except the object manager, whose only methods move
objects), so a probe that never reaches Ray cannot pass. A socket it cannot name fails the test:
a new Ray port gets noticed. `pytest -s` prints the table the README's "Ray's sockets" shows.
"""

from __future__ import annotations

import ipaddress
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

pytestmark = pytest.mark.ray

GRPC_OPTIONS = [("grpc.enable_http_proxy", 0)]  # never through an HTTP(S)_PROXY from the environment
TIMEOUT = 5.0


@dataclass
class Listener:
    pid: int
    process: str
    ip: str
    port: int
    role: str = "?"
    protection: str = "?"


def _listeners() -> list[Listener]:
    import psutil

    me = psutil.Process(os.getpid())
    found = []
    for proc in [me, *me.children(recursive=True)]:
        try:
            name = proc.name()
            conns = proc.net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue  # a worker that exited while we looked
        for c in conns:
            if c.status == psutil.CONN_LISTEN:
                found.append(Listener(proc.pid, "driver (pytest)" if proc.pid == me.pid else name, c.laddr.ip, c.laddr.port))
    return sorted(found, key=lambda s: (s.process, s.port))


def _loopback_only(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if getattr(addr, "ipv4_mapped", None):
        addr = addr.ipv4_mapped
    return addr.is_loopback


def _token_metadata() -> tuple[tuple[str, str], ...]:
    """Exactly what Ray's own gRPC client interceptor attaches: ('authorization', 'Bearer <token>')."""
    from ray._private.authentication.grpc_authentication_client_interceptor import (
        _get_authentication_metadata_tuple,
    )

    metadata = _get_authentication_metadata_tuple()
    assert metadata, "no Ray token loaded in the driver: token authentication is off"
    return metadata


def _grpc_code(call, request, metadata=()):
    import grpc

    try:
        return grpc.StatusCode.OK, call(request, metadata=metadata, timeout=TIMEOUT)
    except grpc.RpcError as exc:
        return exc.code(), exc.details()


def _http_post(url: str, headers: dict) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=b"", headers=headers, method="POST")
    try:
        with opener.open(request, timeout=TIMEOUT) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _ray_facts():
    """What Ray says each port is: the GCS address, this node's ports, every live worker's port → pid."""
    import grpc
    import ray
    from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc

    gcs = ray.get_runtime_context().gcs_address
    node = next(n for n in ray.nodes() if n["Alive"] and n["NodeID"] == ray.get_runtime_context().get_node_id())
    with grpc.insecure_channel(gcs, options=GRPC_OPTIONS) as channel:
        stub = gcs_service_pb2_grpc.WorkerInfoGcsServiceStub(channel)
        table = stub.GetAllWorkerInfo(gcs_service_pb2.GetAllWorkerInfoRequest(), metadata=_token_metadata(), timeout=TIMEOUT)
    workers = {w.worker_address.port: w for w in table.worker_table_data if w.is_alive}
    return gcs, node, workers


def _probe(s: Listener, host: str, gcs: str, node: dict, workers: dict) -> str | None:
    """Name `s` and prove a client without the token is refused; returns an error or None."""
    import grpc
    from ray.core.generated import (
        core_worker_pb2,
        core_worker_pb2_grpc,
        gcs_service_pb2,
        gcs_service_pb2_grpc,
        node_manager_pb2,
        node_manager_pb2_grpc,
        runtime_env_agent_pb2,
    )

    token = _token_metadata()
    target = f"{host}:{s.port}" if ":" not in host else f"[{host}]:{s.port}"
    gcs_port = int(gcs.rsplit(":", 1)[1])

    if s.process.startswith("ray::RuntimeEnv") and s.port == node["RuntimeEnvAgentPort"]:
        s.role = "runtime-env agent (HTTP)"
        url = f"http://{target}/get_runtime_envs_info"
        bare, _ = _http_post(url, {})
        good, body = _http_post(url, dict(token))
        if bare not in (401, 403):
            return f"{s.role} at {target} answered HTTP {bare} without the token"
        if good != 200:
            return f"{s.role} at {target} answered HTTP {good} with the token: the probe is wrong"
        runtime_env_agent_pb2.GetRuntimeEnvsInfoReply.FromString(body)
        s.protection = f"token: HTTP {bare} without it"
        return None

    with grpc.insecure_channel(target, options=GRPC_OPTIONS) as channel:
        worker = workers.get(s.port)
        if s.process == "gcs_server" and s.port == gcs_port:
            s.role = "GCS (gRPC)"
            call = gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel).GetAllNodeInfo
            request = gcs_service_pb2.GetAllNodeInfoRequest()
            check = lambda reply: any(n.node_manager_port == node["NodeManagerPort"] for n in reply.node_info_list)  # noqa: E731
        elif s.process == "raylet" and s.port == node["NodeManagerPort"]:
            s.role = "raylet node manager (gRPC)"
            call = node_manager_pb2_grpc.NodeManagerServiceStub(channel).GetNodeStats
            request = node_manager_pb2.GetNodeStatsRequest()
            check = lambda reply: reply.num_workers >= 0  # noqa: E731
        elif s.process == "raylet" and s.port == node["ObjectManagerPort"]:
            s.role = "raylet object manager (gRPC)"
            # No Python stub; Pull's request with no fields. Only the refusal is checked: with the
            # token this would ask the raylet to pull a nil object from a nil node.
            call = channel.unary_unary("/ray.rpc.ObjectManagerService/Pull",
                                       request_serializer=lambda b: b, response_deserializer=lambda b: b)
            request, check = b"", None
        elif worker is not None and worker.pid == s.pid:
            s.role = "core worker (gRPC)" if s.pid != os.getpid() else "driver's core worker (gRPC)"
            call = core_worker_pb2_grpc.CoreWorkerServiceStub(channel).GetCoreWorkerStats
            request = core_worker_pb2.GetCoreWorkerStatsRequest(intended_worker_id=worker.worker_address.worker_id)
            check = lambda reply: reply.core_worker_stats.pid == s.pid  # noqa: E731
        else:
            return (f"unclassified socket {s.ip}:{s.port} of {s.process} (pid {s.pid}): a Ray port this test does "
                    "not know; name it, prove it refuses a client without the token, and add it to the README")

        code, details = _grpc_code(call, request)
        if code != grpc.StatusCode.UNAUTHENTICATED:
            return f"{s.role} at {target} answered {code.name} without the token ({details})"
        if check is not None:
            code, reply = _grpc_code(call, request, token)
            if code != grpc.StatusCode.OK or not check(reply):
                return f"{s.role} at {target} failed with the token ({code.name}: {reply}): the probe is wrong"
        s.protection = f"token: {grpc.StatusCode.UNAUTHENTICATED.name} without it"
        return None


def _table(sockets: list[Listener]) -> str:
    rows = [("process", "bind address", "port", "what", "protected by")]
    rows += [(s.process, s.ip, str(s.port), s.role, s.protection) for s in sockets]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def test_every_ray_socket_is_loopback_or_refuses_a_client_without_the_token(ray_local):
    start = time.monotonic()
    gcs, node, workers = _ray_facts()
    # Probe from the node's own (non-loopback) address: what another machine would reach.
    host = node["NodeManagerAddress"]
    sockets = _listeners()
    assert any(s.process == "gcs_server" for s in sockets), f"no GCS among the listeners: {sockets}"
    errors = []
    for s in sockets:
        if _loopback_only(s.ip):
            s.role, s.protection = "(loopback only)", "loopback"
            continue
        error = _probe(s, s.ip if s.ip not in ("0.0.0.0", "::") else host, gcs, node, workers)
        if error and "unclassified" in error:
            # A worker may have started after the worker table was read: read it once more.
            _, _, workers = _ray_facts()
            s.role = "?"
            error = _probe(s, s.ip if s.ip not in ("0.0.0.0", "::") else host, gcs, node, workers)
        if error:
            import psutil

            if s.role.startswith("core worker") and not psutil.pid_exists(s.pid):
                s.protection = "(exited during the probe)"
                continue
            errors.append(error)
    print(f"\nRay's sockets (probed from {host}, {time.monotonic() - start:.1f} s):\n{_table(sockets)}")
    assert not errors, "\n".join(errors)
    roles = {s.role for s in sockets}
    for needed in ("GCS (gRPC)", "raylet node manager (gRPC)", "driver's core worker (gRPC)"):
        assert needed in roles, f"{needed} not found among the listeners:\n{_table(sockets)}"
