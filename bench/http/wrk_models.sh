#!/usr/bin/env bash
# Load test: wrk against GET /v1/models with a valid key (authentication, rate-limit
# bookkeeping and the database lookup on every request). Starts its own gateway with a
# throwaway state dir and embedded PostgreSQL on 127.0.0.1, prints wrk's figures.
# Usage: bench/http/wrk_models.sh [SECONDS] [CONNECTIONS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
connections=${2:-32}
threads=${3:-2}
warden=${WARDEN_BIN:-build/warden}
[ -x "$warden" ] || { echo "build first: scripts/build" >&2; exit 1; }
state=$(mktemp -d /tmp/warden-bench.XXXXXX)
chmod 755 "$state"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$state/warden.yaml" <<YAML
state_dir: $state/var
server:
  port: $port
  threads: 2
limits:
  requests_per_minute: 100000000
logging:
  level: warn
YAML
"$warden" --config "$state/warden.yaml" serve > "$state/serve.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
key=$("$warden" --config "$state/warden.yaml" keys create --name bench --team bench --role user --rpm 100000000 2>/dev/null | awk '/^secret:/ {print $2}')
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "wrk -t$threads -c$connections -d${seconds}s GET /v1/models"
wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/models"
