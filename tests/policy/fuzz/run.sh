#!/usr/bin/env bash
# Builds the redaction fuzzer with clang (libFuzzer + ASan + UBSan), outside the main
# build, and runs it for SECONDS (default 60). Corpus and crashes go to $FUZZ_DIR
# (default build-fuzz/ under the repository root).
#   tests/policy/fuzz/run.sh 120
#   FUZZ_TARGET=guardrail tests/policy/fuzz/run.sh 120   (guardrail_fuzz.cpp instead)
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
out="${FUZZ_DIR:-$root/build-fuzz}"
mkdir -p "$out/corpus" "$out/objs"
cxx="${CXX_FUZZ:-clang++}"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
       -I"$root" -DWARDEN_SOURCE_DIR="\"$root\"")
sources=("$root"/core/json.cpp "$root"/core/utf8.cpp)
for src in "$root"/policy/*.cpp; do
  [[ "$(basename "$src")" == cli.cpp ]] && continue  # the CLI needs YAML; not fuzzed here
  # Neither are the parts that need PostgreSQL, YAML or the logger (policy store, registry).
  grep -qE '#include (<pqxx|"core/(yaml|log|pg_pool|migrations)\.h"|"policy/policy_(store|registry)\.h")' "$src" && continue
  sources+=("$src")
done
# Any header change rebuilds everything (objects must agree on class layouts).
newest_header="$(ls -t "$root"/policy/*.h "$root"/core/*.h | head -1)"
objs=()
for src in "${sources[@]}"; do
  obj="$out/objs/$(basename "$(dirname "$src")")_$(basename "$src" .cpp).o"
  if [[ ! -f "$obj" || "$src" -nt "$obj" || "$newest_header" -nt "$obj" ]]; then
    "$cxx" "${flags[@]}" -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done
target="${FUZZ_TARGET:-scanner}"
binary="$([[ "$target" == scanner ]] && echo redaction_fuzz || echo "${target}_fuzz")"
"$cxx" "${flags[@]}" -fsanitize=fuzzer "$root/tests/policy/fuzz/${target}_fuzz.cpp" "${objs[@]}" \
  $(pkg-config --libs re2 libsodium) -o "$out/$binary"
# Seed corpus: the detector cases, one text per file.
if [[ -z "$(ls -A "$out/corpus")" ]]; then
  i=0
  while IFS= read -r line; do
    [[ "$line" == \#* || -z "$line" ]] && continue
    printf '\x07%s' "$(printf '%s' "$line" | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["text"], end="")')" \
      > "$out/corpus/case_$i"
    i=$((i + 1))
  done < "$root/tests/policy/data/detector_cases.jsonl"
fi
cd "$out"
UBSAN_OPTIONS=halt_on_error=1 "./$binary" -max_total_time="$seconds" -max_len=2048 -timeout=10 \
  -print_final_stats=1 corpus
