// One chat completion in flight: turns backend events into the OpenAI response object or
// SSE `chat.completion.chunk` events, passing every piece of the answer through the
// policy's output filter first (pseudonyms restored, PII handled, output guardrails, which
// may end the answer with finish_reason "content_filter"). Cancels generation when the
// client goes away or the filter stops the answer.
//
// The end is two-phase: when the answer is over, `on_finish` gets the outcome and a
// `complete` function; the final chunk and [DONE] (or the whole non-streamed body) go out
// only when `complete(true)` is called — the gateway calls it once the audit record is
// durable. `complete(false)` ends the response with an error instead.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/json.h"
#include "gateway/chat_backend.h"
#include "gateway/http_types.h"
#include "policy/policy.h"

namespace warden::gateway {

// A function call the model made, as produced and as the caller got it.
struct ToolCallOutcome {
  std::string id;  // "call_..." as sent to the caller
  std::string name;
  std::string produced_arguments;
  std::string delivered_arguments;
  bool complete = true;    // false: the answer ended inside the call
  std::string withheld;    // why it was not sent ("" when it was): tool_choice none, parallel_tool_calls, policy
};

struct ChatOutcome {
  int status = 200;            // 200; 499 client went away; 5xx failures
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::string finish_reason;   // stop | length | tool_calls | content_filter | cancelled | error
  std::string produced;        // the answer as the model produced it
  std::string delivered;       // the answer as the caller got it (before the last step)
  std::string error_message;   // for failures: what the caller is told
  std::vector<ToolCallOutcome> tool_calls;
};

class ChatStream : public std::enable_shared_from_this<ChatStream> {
 public:
  using Complete = std::function<void(bool durable)>;
  using OnFinish = std::function<void(const ChatOutcome& outcome, const policy::OutputFilter* filter, Complete complete)>;

  // `session` owns the pseudonym vault the filter restores from; both live as long as the
  // stream. `filter` may be null only in code paths without a policy (none in the server).
  ChatStream(ChatRequest request, std::string request_id, std::string model, std::shared_ptr<Responder> responder,
             std::shared_ptr<policy::RedactionSession> session, std::unique_ptr<policy::OutputFilter> filter,
             OnFinish on_finish);
  // Starts generation; may throw ApiError before anything was sent.
  void run(ChatBackend& backend);

 private:
  void on_event(const GenerationEvent& event);
  void emit(const std::string& text);
  // Returns false when the policy stopped the answer at this call.
  bool on_tool_call(const GenerationEvent& event);
  bool tool_calls_allowed() const;
  void finish(ChatOutcome outcome);
  void complete(const ChatOutcome& outcome, bool durable);
  std::string chunk_with(core::Json delta, const char* finish_reason) const;
  std::string chunk_json(const std::string& delta_content, bool with_role, const char* finish_reason) const;
  std::string tool_call_chunk_json(size_t index, const ToolCallOutcome& call) const;

  ChatRequest request_;
  std::string id_;  // "chatcmpl-..."
  std::string model_;
  int64_t created_;
  std::shared_ptr<Responder> responder_;
  std::shared_ptr<policy::RedactionSession> session_;
  std::unique_ptr<policy::OutputFilter> filter_;
  OnFinish on_finish_;
  std::recursive_mutex mutex_;  // recursive: a backend may call back from inside start()
  bool started_ = false;
  std::vector<GenerationEvent> early_events_;  // arrived before run() finished starting
  std::function<void()> cancel_;
  std::string produced_;
  std::string delivered_;
  std::vector<ToolCallOutcome> tool_calls_;
  size_t delivered_calls_ = 0;
  bool content_closed_ = false;  // the first tool call ended the answer's text
  bool finished_ = false;
};

}  // namespace warden::gateway
