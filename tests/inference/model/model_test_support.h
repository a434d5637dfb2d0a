// Shared helpers for the model tests: synthetic checkpoints in a temp folder (made once
// per test binary run), the Python reference as a subprocess, random prompts.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"
#include "inference/language_model.h"

namespace warden::inference::testing {

std::filesystem::path temp_root();
// Synthesizes (once) a checkpoint of `preset` with `dtype` and optional config edits.
std::filesystem::path synth_model(const std::string& key, const std::string& arch, const std::string& preset,
                                  const std::string& dtype, const core::Json& config_overrides = core::Json());

bool reference_available(std::string* why);
// Runs tools/reference/deepseek_ref.py on `requests` (JSON lines); returns the rows
// (float32) concatenated over all requests.
// `extra_args` are appended to the command line (e.g. "--kv-cache-dtype bf16").
std::vector<float> run_reference(const std::filesystem::path& model_dir, const std::vector<core::Json>& requests,
                                 const std::string& extra_args = "");

std::vector<TokenId> random_ids(uint32_t seed, int n, int vocab);
int argmax(const float* row, int n);

}  // namespace warden::inference::testing
