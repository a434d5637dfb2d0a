// CLI commands of the model side, wired into the `warden` executable by gateway/:
//   warden model synth --arch v3|v2 --preset NAME --seed N --out DIR [--dtype bf16|fp8]
//                      [--tokenizer-dir DIR]
//   warden logits --model DIR [--compute f32|bf16|int8] [--kv-cache-dtype f32|bf16] [--threads N]
//       stdin: JSON lines {"ids":[...]} (optional "logits_from": k) ->
//       stdout: {"logits": [[vocab floats], ...]} one row per position (from k on)
//   warden bench --model DIR [--compute int8|bf16|f32] [--kv-cache-dtype f32|bf16] [--prompt N]
//                [--decode N] [--threads N]
//   warden generate --model DIR --prompt TEXT [--system TEXT] [--max-tokens N] [--temperature T]
//                   [--top-p P] [--top-k K] [--seed S] [--compute int8|bf16|f32]
//                   [--kv-cache-dtype f32|bf16] [--threads N]
//       the chat template applied to [system,] user; the reply streams to stdout (complete
//       UTF-8 only, then one newline); stderr: "prompt tokens: N", "generated tokens: N",
//       "prefill: N tokens in S s, R tokens/s", "decode: ...", "finish reason: stop|length"
//       (and "seed: S" when sampling without --seed). Same seed, same output.
// Return codes: 0 ok, 1 failure, 2 usage error (message on `err`).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace warden::inference {

int run_model_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                      std::ostream& err);
int run_logits_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                       std::ostream& err);
int run_bench_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                      std::ostream& err);
int run_generate_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                         std::ostream& err);

}  // namespace warden::inference
