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

kill -TERM $pid
wait $pid
check "clean shutdown exit code" "$?" 0
trap 'rm -rf "$state"' EXIT
echo "1 passed, 0 failed"
