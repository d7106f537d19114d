#!/usr/bin/env bash
# A multi-node Ray cluster on one machine: a head and WORKERS worker nodes, each its own raylet with
# its own CPUs, all on this machine (joined at 127.0.0.1; Ray advertises the machine's address for
# them anyway, see the README's socket table), token authentication on. The multi-node paths (trials spread over
# nodes, a node lost mid-run) are tested on it without a second machine.
# Usage: cluster/local_cluster.sh start [WORKERS] [PORT]   (default 2 workers, port 6391)
#        cluster/local_cluster.sh stop [PORT]
#   then: gg-train launch --config configs/quickstart.yaml --address 127.0.0.1:PORT --storage /tmp/gg-shared
#   (several nodes need shared storage: a folder they all see, as every folder here is, or s3:// / gs://)
# CPUS_PER_NODE (default 1) sets each node's CPUs; GPUS_PER_NODE (default 0) declares GPUs a node
# offers to Ray's scheduler (a fake resource on a CPU machine, for planning tests).
set -euo pipefail
cmd="${1:-}"
if [ "$cmd" = stop ]; then port="${2:-6391}"; else workers="${2:-2}"; port="${3:-6391}"; fi
cpus="${CPUS_PER_NODE:-1}"
gpus="${GPUS_PER_NODE:-0}"
export RAY_AUTH_MODE=token  # without a token or this, `ray start` would start with authentication off
# Its own temp dir, so `stop` ends this cluster's processes only (not another Ray on the machine).
tmp="${GG_CLUSTER_TMP:-/tmp/gg-ray-$port}"
common=(--node-ip-address=127.0.0.1 --num-cpus="$cpus" --num-gpus="$gpus" --disable-usage-stats)

case "$cmd" in
  start)
    ray get-auth-token --generate >/dev/null
    ray start --head --port="$port" --temp-dir="$tmp" --include-dashboard=false "${common[@]}" >/dev/null
    for i in $(seq 1 "$workers"); do
      ray start --address="127.0.0.1:$port" "${common[@]}" >/dev/null
    done
    # Wait until every node has registered with the head.
    for _ in $(seq 1 60); do
      alive=$(python -c "import ray; ray.init(address='127.0.0.1:$port', logging_level='ERROR'); print(sum(n['Alive'] for n in ray.nodes()))" 2>/dev/null || echo 0)
      [ "$alive" -ge $((workers + 1)) ] && break
      sleep 1
    done
    echo "Ray cluster on 127.0.0.1:$port: 1 head + $workers worker node(s), $cpus CPU each; join with --address 127.0.0.1:$port"
    ;;
  stop)
    pkill -TERM -f -- "$tmp" || true
    for _ in $(seq 1 30); do pgrep -f -- "$tmp" >/dev/null || break; sleep 1; done
    pkill -KILL -f -- "$tmp" || true
    echo "Ray cluster on port $port stopped"
    ;;
  *)
    echo "usage: $0 start [WORKERS] [PORT] | stop" >&2
    exit 2
    ;;
esac
