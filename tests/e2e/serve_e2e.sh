#!/usr/bin/env bash
# Starts the real gateway from nothing (fresh state dir: initdb, migrations, first keys,
# demo checkpoint synthesized), then checks it with curl and the openai npm client.
set -euo pipefail
warden=$1
state=$(mktemp -d /tmp/warden-e2e.XXXXXX)
chmod 755 "$state"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'state_dir: %s/var\nserver:\n  port: %s\nlogging:\n  level: warn\n' "$state" "$port" > "$state/warden.yaml"
"$warden" --config "$state/warden.yaml" serve > "$state/out.log" 2> "$state/err.log" &
pid=$!
cleanup() { kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$state"; }
trap cleanup EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 240); do
  curl -sf "$base/readyz" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$state/out.log" "$state/err.log"; echo "FAIL: gateway exited"; exit 1; }
  sleep 0.5
done
curl -sf "$base/readyz" >/dev/null || { cat "$state/err.log"; echo "FAIL: not ready"; exit 1; }
grep -q "weights are RANDOM" "$state/out.log" || { echo "FAIL: no notice that the demo weights are random"; exit 1; }
user_key=$(awk '/user key:/ {print $3}' "$state/out.log")
[ -n "$user_key" ] || { echo "FAIL: no first user key printed"; exit 1; }
limited_key=$("$warden" --config "$state/warden.yaml" keys create --name e2e --team e2e --role user --rpm 4 | awk '/^secret:/ {print $2}')

check() { if [ "$2" != "$3" ]; then echo "FAIL: $1: expected $3, got $2"; exit 1; fi; echo "ok: $1"; }
check "401 without key" "$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/models")" 401
check "models with key" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $user_key" "$base/v1/models")" 200
body=$(curl -s -H "Authorization: Bearer $user_key" -H 'Content-Type: application/json' \
  -d '{"model":"demo-tiny-v3","messages":[{"role":"user","content":"Hello"}],"max_tokens":5}' "$base/v1/chat/completions")
check "chat completion tokens" "$(echo "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["usage"]["completion_tokens"])')" 5
check "chat finish_reason" "$(echo "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["choices"][0]["finish_reason"])')" length

out=$(node tests/e2e/openai_e2e.mjs "$base/v1" "$user_key" "$limited_key")
echo "$out"
check "openai client" "$(echo "$out" | tail -1)" '{"models":"demo-tiny-v3","chat_tokens":6,"stream_chunks":6,"unauthorized":401,"rate_limited":429}'

# Function calling through the real template, engine and tool-call parser: a forced call
# starts in the prompt, so even the random demo model answers with a call of that function.
body=$(curl -s -H "Authorization: Bearer $user_key" -H 'Content-Type: application/json' \
  -d '{"model":"demo-tiny-v3","messages":[{"role":"user","content":"Weather in Oslo?"}],"max_tokens":4,"seed":3,
       "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],
       "tool_choice":{"type":"function","function":{"name":"get_weather"}}}' "$base/v1/chat/completions")
check "forced tool call" "$(echo "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["choices"][0]["message"]["tool_calls"][0]["function"]["name"])')" get_weather

# Redaction and policies through the real binary and its PostgreSQL.
chat() { curl -s -o "$state/chat.json" -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
  -d "{\"model\":\"demo-tiny-v3\",\"messages\":[{\"role\":\"user\",\"content\":\"$2\"}],\"max_tokens\":3}" "$base/v1/chat/completions"; }
check "email is redacted, request served" "$(chat "$user_key" 'mail jane.doe@example.com')" 200
check "AWS key blocks the request" "$(chat "$user_key" 'key AKIAIOSFODNN7EXAMPLE')" 400
check "blocked request names content_filter" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["code"])' "$state/chat.json")" content_filter
admin_key=$(awk '/admin key:/ {print $3}' "$state/out.log")
admin() { curl -s -o "$state/admin.json" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $admin_key" -H 'Content-Type: application/json' ${3:+-d "$3"} "$base/admin/v1/policies$2"; }
v1='{"source":"bindings: {teams: [default]}\nredaction: {default_action: mask}\n","comment":"e2e v1"}'
v2='{"source":"bindings: {teams: [default]}\nredaction: {default_action: mask}\nguardrails:\n  input:\n    - {id: no-quarterly, kind: deny_topics, action: block, phrases: [quarterly numbers]}\n","comment":"e2e v2"}'
check "admin saves v1" "$(admin POST /e2e-guard "$v1")" 201
check "admin activates v1" "$(admin POST /e2e-guard/activate '{"version":1}')" 200
check "allowed under v1" "$(chat "$user_key" 'share the quarterly numbers')" 200
check "admin saves v2" "$(admin POST /e2e-guard "$v2")" 201
check "admin activates v2" "$(admin POST /e2e-guard/activate '{"version":2}')" 200
check "blocked under v2" "$(chat "$user_key" 'share the quarterly numbers')" 400
check "admin rolls back" "$(admin POST /e2e-guard/rollback '{}')" 200
check "allowed again after rollback" "$(chat "$user_key" 'share the quarterly numbers')" 200
check "an invalid policy is refused" "$(admin POST /e2e-guard '{"source":"guardrails: {input: [{kind: nope}]}\n"}')" 400

# The audit log: verified by the reviewer tool, read by an auditor through the API.
auditor_key=$("$warden" --config "$state/warden.yaml" keys create --name e2e-auditor --team compliance --role auditor | awk '/^secret:/ {print $2}')
check "auditor lists records" "$(curl -s -o "$state/records.json" -w '%{http_code}' -H "Authorization: Bearer $auditor_key" "$base/audit/v1/records?kind=request&limit=1000")" 200
check "blocked requests are on record" "$(python3 -c 'import json,sys; print(sum(r["decision"]=="blocked" for r in json.load(open(sys.argv[1]))["data"]))' "$state/records.json")" 2
"$warden" --config "$state/warden.yaml" audit verify --signing-pub "$state/var/secrets/audit-signing.pub" > "$state/verify.txt" \
  || { cat "$state/verify.txt"; echo "FAIL: audit verify"; exit 1; }
echo "ok: audit verify"

# Least privilege: at run time the gateway connects as warden_gateway, which cannot change
# or delete audit rows.
read -r pg_port pg_sock < <(sed -n '4p;5p' "$state/var/pg/postmaster.pid" | paste -sd' ')
sql() { /usr/lib/postgresql/15/bin/psql -X -q -t -A -h "$pg_sock" -p "$pg_port" -U "$1" -d warden -c "$2" 2>&1; }
check "gateway connections use role warden_gateway" \
  "$(sql warden "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE datname = 'warden' AND pid <> pg_backend_pid()")" \
  warden_gateway
case "$(sql warden_gateway 'DELETE FROM audit_records')" in
  *"permission denied"*) echo "ok: warden_gateway cannot delete audit rows" ;;
  *) echo "FAIL: warden_gateway could delete audit rows"; exit 1 ;;
esac

kill -TERM $pid
wait $pid
check "clean shutdown exit code" "$?" 0
trap 'rm -rf "$state"' EXIT
echo "1 passed, 0 failed"
