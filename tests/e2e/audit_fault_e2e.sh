#!/usr/bin/env bash
# Audit durability under faults, against the real binary (issue 6, "Proof"):
#
#   A. PostgreSQL stopped (pg_ctl stop -m fast) under chat load, then started again: records
#      of requests in flight go to the spool and are replayed exactly once.
#   B. the gateway killed with SIGKILL under chat load, then started again.
#
# Afterwards `warden audit verify --strict` passes (chain, signatures, checkpoint export),
# every request that got a 200 has exactly one durable request record, and no request has
# more than one. Each phase uses its own API key so its records can be counted apart.
#
# usage: audit_fault_e2e.sh path/to/warden [requests_per_phase] [parallel_clients]
set -euo pipefail
warden=$(realpath "$1")
per_phase=${2:-48}
parallel=${3:-6}
pg_bin=/usr/lib/postgresql/15/bin
pg_user=warden  # database.embedded_os_user

state=$(mktemp -d /tmp/warden-audit-fault.XXXXXX)
chmod 755 "$state"
var="$state/var"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$state/warden.yaml" <<EOF
state_dir: $var
server:
  port: $port
logging:
  level: warn
limits:
  requests_per_minute: 1000000
  tokens_per_minute: 1000000000
audit:
  checkpoint_every_records: 50
  checkpoint_interval_ms: 1000
  reconnect_interval_ms: 200
EOF
base="http://127.0.0.1:$port"
pid=""

as_pg_user() { if [ "$(id -u)" = 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }
pg_running() { [ -f "$var/pg/postmaster.pid" ] && as_pg_user "$pg_bin/pg_ctl" status -D "$var/pg" >/dev/null 2>&1; }
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  # After the restart in phase A the server is no child of the gateway: stop it here.
  pg_running && as_pg_user "$pg_bin/pg_ctl" stop -D "$var/pg" -m fast -w >/dev/null 2>&1 || true
  if [ "${keep_state:-0}" = 1 ]; then echo "state kept in $state"; else rm -rf "$state"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; keep_state=1; tail -n 30 "$state"/err*.log 2>/dev/null || true; exit 1; }
check() { if [ "$2" != "$3" ]; then fail "$1: expected $3, got $2"; fi; echo "ok: $1 ($2)"; }

start_gateway() {
  "$warden" --config "$state/warden.yaml" serve >> "$state/out.log" 2>> "$state/err-$1.log" &
  pid=$!
  for _ in $(seq 1 240); do
    curl -sf "$base/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "gateway exited during start ($1)"
    sleep 0.5
  done
  fail "gateway not ready ($1)"
}
metric() { curl -s "$base/metrics" | awk -v n="$1" '$1 == n {print int($2)}'; }

# One chat request per input line; prints "<http status> <error code or ->" per response
# (000 when the connection broke).
load() {
  local key=$1 out=$2
  seq 1 "$per_phase" | xargs -P "$parallel" -I{} bash -c '
    body=$(curl -s -m 120 -w "\n%{http_code}" -H "Authorization: Bearer $0" -H "Content-Type: application/json" \
      -d "{\"model\":\"demo-tiny-v3\",\"messages\":[{\"role\":\"user\",\"content\":\"fault test {}\"}],\"max_tokens\":64}" \
      "$1/v1/chat/completions" || true)
    status=$(printf "%s" "$body" | tail -n 1)
    code=$(printf "%s" "$body" | head -n -1 | python3 -c "import json,sys
try: print(json.load(sys.stdin)[\"error\"][\"code\"] or \"-\")
except Exception: print(\"-\")")
    echo "${status:-000} $code"' "$key" "$base" >> "$out"
}
wait_lines() { while [ "$(wc -l < "$1")" -lt "$2" ]; do sleep 0.05; done; }
count() { awk -v s="$2" '$1 == s' "$1" | wc -l; }

start_gateway first
make_key() { "$warden" --config "$state/warden.yaml" keys create --name "$1" --team e2e --role user | awk '/^secret:/ {print $2}'; }
key_a=$(make_key phase-a)
key_b=$(make_key phase-b)
[ -n "$key_a" ] && [ -n "$key_b" ] || fail "could not create API keys"
id_a=$(echo "$key_a" | cut -d_ -f2)
id_b=$(echo "$key_b" | cut -d_ -f2)

# --- A: stop PostgreSQL under load, start it again -------------------------------------
read -r pg_port pg_sock < <(sed -n '4p;5p' "$var/pg/postmaster.pid" | paste -sd' ')
: > "$state/a.txt"
load "$key_a" "$state/a.txt" &
load_pid=$!
wait_lines "$state/a.txt" $((per_phase / 3))
as_pg_user "$pg_bin/pg_ctl" stop -D "$var/pg" -m fast -w >/dev/null
echo "phase A: PostgreSQL stopped after $(wc -l < "$state/a.txt") responses"
sleep 2
as_pg_user "$pg_bin/pg_ctl" start -D "$var/pg" -w -l "$var/pg/postgres.log" \
  -o "-k $pg_sock -p $pg_port -c listen_addresses= -c unix_socket_permissions=0700" >/dev/null
echo "phase A: PostgreSQL started again"
wait "$load_pid"
spooled=$(metric warden_audit_records_spooled_total)
[ "${spooled:-0}" -gt 0 ] || fail "phase A: no record went to the spool (the outage hit no request in flight)"
for _ in $(seq 1 100); do
  [ "$(metric warden_audit_records_replayed_total)" = "$spooled" ] && break
  sleep 0.2
done
check "phase A: spooled records replayed" "$(metric warden_audit_records_replayed_total)" "$spooled"
check "phase A: audit healthy again" "$(metric warden_audit_healthy)" 1

# --- B: SIGKILL the gateway under load, start it again ---------------------------------
: > "$state/b.txt"
load "$key_b" "$state/b.txt" &
load_pid=$!
wait_lines "$state/b.txt" $((per_phase / 3))
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
echo "phase B: gateway killed after $(wc -l < "$state/b.txt") responses"
wait "$load_pid"
start_gateway second  # attaches to the PostgreSQL still running; continues the chain
kill -TERM "$pid"
wait "$pid" || fail "gateway exit code $? after SIGTERM"
pid=""

# --- Checks --------------------------------------------------------------------------------
verify_out=$("$warden" --config "$state/warden.yaml" audit verify --strict \
  --signing-pub "$var/secrets/audit-signing.pub" --checkpoints "$var/audit/checkpoints.jsonl") ||
  fail "audit verify: $verify_out"
echo "$verify_out" | head -1
records() {
  "$warden" --config "$state/warden.yaml" audit search --kind request --api-key "$1" --limit 100000000 |
    python3 -c 'import json,sys,collections
c=collections.Counter(str(json.loads(l).get("http_status")) for l in sys.stdin if "\"record_id\"" in l)
print(" ".join(f"{k}:{v}" for k,v in sorted(c.items())))'
}
status_of() { tr ' ' '\n' <<< "$1" | awk -F: -v s="$2" '$1 == s {print $2}' | grep . || echo 0; }
total_of() { tr ' ' '\n' <<< "$1" | awk -F: '{n += $2} END {print n + 0}'; }

rec_a=$(records "$id_a")
rec_b=$(records "$id_b")
echo "phase A responses: $(cut -d' ' -f1 "$state/a.txt" | sort | uniq -c | tr -s ' ' | paste -sd,); records by status: $rec_a"
echo "phase B responses: $(cut -d' ' -f1 "$state/b.txt" | sort | uniq -c | tr -s ' ' | paste -sd,); records by status: $rec_b"
check "phase A: no connection broken" "$(count "$state/a.txt" 000)" 0
# Keys verified before the outage keep working (database.auth_outage_grace_s); the only
# refusal allowed is 503 audit_unavailable (neither database nor spool took the record).
check "phase A: responses other than 200 or 503 audit_unavailable" \
  "$(awk '!($1 == 200 || ($1 == 503 && $2 == "audit_unavailable"))' "$state/a.txt" | wc -l)" 0
# Without a kill every response was sent after its record was durable: one record per 200.
check "phase A: one request record per 200 response" "$(status_of "$rec_a" 200)" "$(count "$state/a.txt" 200)"
[ "$(count "$state/a.txt" 200)" -gt 0 ] || fail "phase A: no request succeeded"
unrecorded_a=$(awk '$2 == "audit_unavailable"' "$state/a.txt" | wc -l)
[ "$(total_of "$rec_a")" -le $((per_phase - unrecorded_a)) ] || fail "phase A: more records than recordable requests"
# With a kill, a record may be durable while its response was lost (status 000), never the reverse.
ok_b=$(count "$state/b.txt" 200)
lost_b=$(count "$state/b.txt" 000)
rec_b_200=$(status_of "$rec_b" 200)
[ "$rec_b_200" -ge "$ok_b" ] || fail "phase B: $ok_b responses were 200 but only $rec_b_200 records say so"
[ "$rec_b_200" -le $((ok_b + lost_b)) ] || fail "phase B: $rec_b_200 records of 200s for $ok_b 200s and $lost_b lost responses"
[ "$(total_of "$rec_b")" -le "$per_phase" ] || fail "phase B: more records than requests"
echo "ok: phase B: every 200 has its record ($ok_b of $per_phase answered 200; $lost_b got no answer: in flight at the kill or sent while the gateway was down)"
echo "1 passed, 0 failed"
