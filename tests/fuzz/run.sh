#!/usr/bin/env bash
# Builds the parser fuzzer (tests/fuzz/parsers_fuzz.cpp) with clang (libFuzzer + ASan +
# UBSan), outside the main build, and runs it for SECONDS (default 60). Corpus and crashes go
# to $FUZZ_DIR (default build-fuzz-parsers/ under the repository root).
#   tests/fuzz/run.sh 120
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${FUZZ_DIR:-$root/build-fuzz-parsers}"
mkdir -p "$out/corpus" "$out/objs"
cxx="${CXX_FUZZ:-clang++}"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -I"$root")
sources=("$root"/core/json.cpp "$root"/core/utf8.cpp "$root"/core/yaml.cpp "$root"/gateway/chat_request.cpp
         "$root"/gateway/api_error.cpp "$root"/inference/safetensors.cpp "$root"/inference/tool_call_parser.cpp
         "$root"/policy/json_strings.cpp)
objs=()
for src in "${sources[@]}"; do
  obj="$out/objs/$(basename "$(dirname "$src")")_$(basename "$src" .cpp).o"
  if [[ ! -f "$obj" || "$src" -nt "$obj" ]]; then "$cxx" "${flags[@]}" -c "$src" -o "$obj"; fi
  objs+=("$obj")
done
"$cxx" "${flags[@]}" -fsanitize=fuzzer "$root/tests/fuzz/parsers_fuzz.cpp" "${objs[@]}" \
  $(pkg-config --libs yaml-0.1) -o "$out/parsers_fuzz"
# Seed corpus: the request bodies, policies and configs the tests use, one per parser byte.
if [[ -z "$(ls -A "$out/corpus")" ]]; then
  i=0
  for f in "$root"/tests/policy/data/guardrails/*.json "$root"/policy/defaults/*.json; do
    [[ -f "$f" ]] || continue
    { printf '\x00'; head -c 4000 "$f"; } > "$out/corpus/json_$i"; i=$((i + 1))
  done
  printf '\x01{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stop":["a"],"stream":true,"stream_options":{"include_usage":true}}' > "$out/corpus/chat_0"
  printf '\x01{"model":"m","messages":[{"role":"system","content":"s"},{"role":"assistant"},{"role":"developer","content":"d","name":"n"}],"max_tokens":5,"seed":1,"temperature":0.5}' > "$out/corpus/chat_1"
  printf '\x01{"model":"m","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"a","content":"r"}]}' > "$out/corpus/chat_2"
  printf '\x04\x03Sure.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Oslo"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>' > "$out/corpus/tools_0"
  printf '\x05{"to": "a@b.c", "n": [1, 2.5, {"k\\"ey": "v\\u00e9"}], "ok": true}' > "$out/corpus/strings_0"
  for f in "$root"/policy/defaults/*.yaml "$root"/docs/*.yaml; do
    [[ -f "$f" ]] || continue
    { printf '\x02'; head -c 4000 "$f"; } > "$out/corpus/yaml_$i"; i=$((i + 1))
  done
  # A small valid safetensors file: 8-byte header length, JSON header, 8 bytes of data.
  /usr/bin/python3 - "$out/corpus/safetensors_0" <<'PY'
import json, struct, sys
header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "__metadata__": {"format": "pt"}}).encode()
open(sys.argv[1], "wb").write(b"\x03" + struct.pack("<Q", len(header)) + header + b"\0" * 8)
PY
fi
cd "$out"
UBSAN_OPTIONS=halt_on_error=1 "./parsers_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -print_final_stats=1 corpus
