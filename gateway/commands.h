// Dispatch of the commands other modules export (tokenize, logits, bench, model synth,
// generate, redact, audit) and the model backend factory used by `serve`.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "gateway/chat_backend.h"

namespace warden::inference {
class Tokenizer;
class LanguageModel;
}  // namespace warden::inference

namespace warden::gateway {

// Returns -1 when `command` is not a module command, else the command's exit code.
int run_module_command(const std::string& command, const std::vector<std::string>& args, std::istream& in,
                       std::ostream& out, std::ostream& err);
// Module commands that need the gateway configuration (the database for `audit`).
int run_configured_command(const std::string& command, const core::Config& config, const std::vector<std::string>& args,
                           std::istream& in, std::ostream& out, std::ostream& err);
void print_module_commands(std::ostream& out);

std::unique_ptr<ChatBackend> make_engine_backend(const core::Config& config, std::ostream& notices);
// The same backend around a model and tokenizer already loaded (tests: a scripted model).
std::unique_ptr<ChatBackend> make_loaded_engine_backend(std::string served_name,
                                                 std::shared_ptr<const inference::Tokenizer> tokenizer,
                                                 std::shared_ptr<inference::LanguageModel> model,
                                                 const core::ModelConfig& config);

}  // namespace warden::gateway
