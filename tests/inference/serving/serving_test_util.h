// Shared helpers for the serving tests: the real DeepSeek-V3 tokenizer (loaded once), and
// a runner for the node reference scripts under tools/.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "inference/tokenizer.h"

namespace warden::inference::testing {

// Folder with the DeepSeek-V3 tokenizer.json + tokenizer_config.json (installed by npm).
std::filesystem::path deepseek_v3_model_dir();

// The tokenizer of deepseek_v3_model_dir(), loaded on first use and shared.
const Tokenizer& deepseek_v3_tokenizer();

// Runs `node tools/<script> <args...>` with `input_lines` (one per line) on stdin and
// returns stdout split into lines. Fails the test (throws) when node is missing or fails.
std::vector<std::string> run_node_script(const std::string& script, const std::vector<std::string>& args,
                                         const std::vector<std::string>& input_lines);

// Parses {"ids":[...]} lines.
std::vector<std::vector<TokenId>> parse_id_lines(const std::vector<std::string>& lines);

}  // namespace warden::inference::testing
