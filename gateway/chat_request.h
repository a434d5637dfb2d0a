// The OpenAI chat-completions request as Warden understands it, parsed and validated
// from JSON with errors that name the field (ApiError 400 with `param`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace warden::gateway {

// A function call an assistant message made (`messages[i].tool_calls[j]`).
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as sent
};

struct ChatMessage {
  std::string role;     // system (developer is mapped to it) | user | assistant | tool
  std::string content;  // text parts joined
  std::string name;
  std::vector<ToolCall> tool_calls;  // assistant
  std::string tool_call_id;          // tool
};

// `tools[i]` of type "function".
struct ToolDefinition {
  std::string name;
  std::string description;
  std::string parameters;  // JSON Schema as JSON text; "" when absent
};

// `tool_choice`: "auto" (default with tools), "none" (default without), "required", or
// {"type": "function", "function": {"name": N}}.
struct ToolChoice {
  enum class Mode { kAuto, kNone, kRequired, kFunction };
  Mode mode = Mode::kNone;
  std::string function;
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
  std::vector<ToolDefinition> tools;
  ToolChoice tool_choice;
  bool parallel_tool_calls = true;
};

struct ChatLimits {
  int max_messages = 2000;
  int max_stop_sequences = 4;
  int max_tools = 128;
};

// Throws ApiError (400) naming the field for any problem.
ChatRequest parse_chat_request(const core::Json& body, const ChatLimits& limits);

// For models without a tool-call format: throws ApiError (400) naming the first field that
// uses function calling (tools, a tool message, an assistant's tool_calls).
void refuse_tool_use(const ChatRequest& request);

}  // namespace warden::gateway
