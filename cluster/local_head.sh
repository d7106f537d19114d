#!/usr/bin/env bash
# A one-machine Ray cluster on loopback, to try `gg-train launch --address` without real nodes.
# Token authentication stays on (Ray 2.60's default for clusters it starts; the token is in
# ~/.ray/auth_token). gg-train joins with RAY_AUTH_MODE=token, so the same token works.
# Usage: cluster/local_head.sh [PORT]   then: gg-train launch --config configs/quickstart.yaml --address 127.0.0.1:PORT
# Stop it with Ctrl-C (it runs in the foreground with --block).
set -euo pipefail
port="${1:-6390}"
# `ray start` turns token authentication on only when a token exists or RAY_AUTH_MODE=token is set;
# on a fresh machine it would otherwise start with authentication OFF (Ray 2.60 only warns).
export RAY_AUTH_MODE=token
ray get-auth-token --generate >/dev/null
echo "Ray head on 127.0.0.1:$port; join with: gg-train launch --config configs/quickstart.yaml --address 127.0.0.1:$port"
exec ray start --head --block --port="$port" --node-ip-address=127.0.0.1 --num-cpus="$(nproc)" \
  --include-dashboard=false --disable-usage-stats
