// The filter chain's inference stage as the HTTP handlers see it. The shipped binary
// plugs in EngineBackend (inference::Engine + tokenizer + chat template); tests may plug
// in a double. Events may arrive on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "gateway/chat_request.h"

namespace warden::gateway {

struct GenerationEvent {
  // kToolCall: one whole function call of the answer, after any text before it.
  enum class Kind { kDelta, kToolCall, kDone, kError };
  Kind kind = Kind::kDelta;
  std::string text;           // kDelta: complete UTF-8 text
  std::string tool_name;      // kToolCall
  std::string tool_arguments; // kToolCall: the arguments as the model wrote them
  bool tool_call_complete = true;  // kToolCall: false when the answer ended inside the call
  std::string finish_reason;  // kDone: "stop" | "length" | "content_filter"
  int prompt_tokens = 0;      // kDone
  int completion_tokens = 0;  // kDone
  int error_status = 500;     // kError
  std::string error_message;  // kError: safe to show the client
};

class ChatBackend {
 public:
  virtual ~ChatBackend() = default;
  virtual std::string model_id() const = 0;
  virtual int64_t created_at() const = 0;  // unix seconds, for /v1/models
  virtual bool ready() const = 0;
  virtual double queue_depth() const = 0;
  // Prompt tokens for these messages with the chat template applied; -1 when unknown
  // (policies then estimate). Used by max_input_tokens guardrails before generation.
  virtual int64_t count_prompt_tokens(const ChatRequest& request) const {
    (void)request;
    return -1;
  }
  // Whether requests may carry tools, tool messages and assistant tool_calls (the model's
  // chat template has a tool-call format). Others are refused with a 400 naming the field.
  virtual bool supports_tools() const { return false; }
  // Starts generating. Throws ApiError for refusals known at once (503 when overloaded,
  // 400 when the prompt does not fit the context). Returns a function that cancels; after
  // a cancel, further events may or may not arrive (callers must not wait for them).
  virtual std::function<void()> start(const ChatRequest& request, std::function<void(const GenerationEvent&)> on_event) = 0;
};

}  // namespace warden::gateway
