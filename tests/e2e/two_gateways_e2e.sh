#!/usr/bin/env bash
# Two gateways, one database (issue 6 and issue 5's multi-gateway deployment): two
# `warden serve` processes with separate state_dirs share one PostgreSQL — the second one
# reaches the first's embedded server through database.url, as warden_gateway. Each writes
# its own audit chain (state_dir/audit/chain-id), chat requests go through both at once, and
# afterwards `warden audit verify --strict` passes for both chains (both signing keys, both
# checkpoint exports) and every 200 has exactly one request record in its gateway's chain.
#
# usage: two_gateways_e2e.sh path/to/warden [requests_per_gateway] [parallel_clients]
set -euo pipefail
warden=$(realpath "$1")
per_gateway=${2:-24}
parallel=${3:-4}

state=$(mktemp -d /tmp/warden-two-gateways.XXXXXX)
chmod 755 "$state"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
write_config() {  # name port [extra yaml]
  mkdir -p "$state/$1"
  cat > "$state/$1/warden.yaml" <<EOF
state_dir: $state/$1/var
server:
  port: $2
logging:
  level: warn
limits:
  requests_per_minute: 1000000
  tokens_per_minute: 1000000000
audit:
  checkpoint_every_records: 10
  checkpoint_interval_ms: 500
${3:-}
EOF
}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${keep_state:-0}" = 1 ]; then echo "state kept in $state"; else rm -rf "$state"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; keep_state=1; tail -n 20 "$state"/*/err.log 2>/dev/null || true; exit 1; }
check() { if [ "$2" != "$3" ]; then fail "$1: expected $3, got $2"; fi; echo "ok: $1 ($2)"; }

start_gateway() {  # name port
  "$warden" --config "$state/$1/warden.yaml" serve > "$state/$1/out.log" 2> "$state/$1/err.log" &
  pids+=($!)
  local pid=$!
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "gateway $1 exited during start"
    sleep 0.25
  done
  fail "gateway $1 not ready"
}

# --- gateway A: embedded PostgreSQL ------------------------------------------------------
port_a=$(free_port)
write_config a "$port_a"
start_gateway a "$port_a"
var_a="$state/a/var"
user_key=$(awk '/user key:/ {print $3}' "$state/a/out.log")
[ -n "$user_key" ] || fail "gateway a printed no first user key"
read -r pg_port pg_sock < <(sed -n '4p;5p' "$var_a/pg/postmaster.pid" | paste -sd' ')
model_dir=$(dirname "$(find "$var_a" -name config.json -not -path '*/pg/*' | head -1)")
[ -d "$model_dir" ] || fail "no demo model under $var_a"

# --- gateway B: the same database through database.url, its own state_dir ------------------
# Gateways sharing a database share the API key hashing key (docs/configuration.md).
port_b=$(free_port)
write_config b "$port_b" "database:
  url: host=$pg_sock port=$pg_port dbname=warden user=warden_gateway
model:
  path: $model_dir"
mkdir -p "$state/b/var/secrets"
cp "$var_a/secrets/api_key_hashing_key" "$state/b/var/secrets/"
chmod 700 "$state/b/var/secrets"
start_gateway b "$port_b"

chain_a=$(cat "$var_a/audit/chain-id")
chain_b=$(cat "$state/b/var/audit/chain-id")
[[ "$chain_a" == gw-* && "$chain_b" == gw-* && "$chain_a" != "$chain_b" ]] ||
  fail "chain ids: a=$chain_a b=$chain_b (expected two different gw-... ids)"
echo "ok: chains $chain_a (gateway a) and $chain_b (gateway b)"

# --- chat requests through both gateways at once ----------------------------------------------
load() {  # port out
  seq 1 "$per_gateway" | xargs -P "$parallel" -I{} curl -s -o /dev/null -m 60 -w "%{http_code}\n" \
    -H "Authorization: Bearer $user_key" -H "Content-Type: application/json" \
    -d "{\"model\":\"demo-tiny-v3\",\"messages\":[{\"role\":\"user\",\"content\":\"two gateways {}\"}],\"max_tokens\":4}" \
    "http://127.0.0.1:$1/v1/chat/completions" >> "$2" || true
}
: > "$state/a.txt"
: > "$state/b.txt"
load "$port_a" "$state/a.txt" &
load_a=$!
load "$port_b" "$state/b.txt" &
load_b=$!
wait "$load_a" "$load_b"
ok_a=$(grep -c '^200$' "$state/a.txt" || true)
ok_b=$(grep -c '^200$' "$state/b.txt" || true)
check "gateway a: every request answered 200" "$ok_a" "$per_gateway"
check "gateway b: every request answered 200" "$ok_b" "$per_gateway"
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n {print int($2)}'; }
check "gateway b holds its chain's lock" "$(metric "$port_b" "warden_audit_chain_locked{chain=\"$chain_b\"}")" 1
check "gateway b: nothing spooled" "$(metric "$port_b" warden_audit_records_spooled_total)" 0

# Stop B, then A (each signs a shutdown checkpoint); the commands below start A's embedded
# PostgreSQL themselves.
kill -TERM "${pids[1]}"
wait "${pids[1]}" || fail "gateway b exit code $? after SIGTERM"
kill -TERM "${pids[0]}"
wait "${pids[0]}" || fail "gateway a exit code $? after SIGTERM"
pids=()

cat "$var_a/audit/checkpoints.jsonl" "$state/b/var/audit/checkpoints.jsonl" > "$state/checkpoints.jsonl"
verify_out=$("$warden" --config "$state/a/warden.yaml" audit verify --strict \
  --signing-pub "$var_a/secrets/audit-signing.pub" --signing-pub "$state/b/var/secrets/audit-signing.pub" \
  --checkpoints "$state/checkpoints.jsonl") || fail "audit verify: $verify_out"
echo "$verify_out"
echo "$verify_out" | grep -q "^chain $chain_a: pass" || fail "chain $chain_a not verified"
echo "$verify_out" | grep -q "^chain $chain_b: pass" || fail "chain $chain_b not verified"

requests_in() {  # chain
  "$warden" --config "$state/a/warden.yaml" audit search --kind request --chain "$1" --limit 100000 |
    python3 -c 'import json,sys
recs=[json.loads(l) for l in sys.stdin if "\"record_id\"" in l]
print(sum(1 for r in recs if r["http_status"] == 200 and r["route"] == "/v1/chat/completions"))'
}
check "chain $chain_a: one request record per 200 of gateway a" "$(requests_in "$chain_a")" "$ok_a"
check "chain $chain_b: one request record per 200 of gateway b" "$(requests_in "$chain_b")" "$ok_b"
echo "1 passed, 0 failed"
