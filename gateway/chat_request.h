// The OpenAI chat-completions request as Warden understands it, parsed and validated
// from JSON with errors that name the field (ApiError 400 with `param`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace warden::gateway {

struct ChatMessage {
  std::string role;     // system | developer | user | assistant
  std::string content;  // text parts joined
  std::string name;
};

struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  std::optional<int> max_tokens;  // max_tokens or max_completion_tokens
  double temperature = 1.0;
  double top_p = 1.0;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  double presence_penalty = 0;
  double frequency_penalty = 0;
  std::string user;
  bool stream = false;
  bool include_usage = false;
};

struct ChatLimits {
  int max_messages = 2000;
  int max_stop_sequences = 4;
};

// Throws ApiError (400) naming the field for any problem.
ChatRequest parse_chat_request(const core::Json& body, const ChatLimits& limits);

}  // namespace warden::gateway
