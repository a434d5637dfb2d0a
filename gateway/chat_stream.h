// One chat completion in flight: turns backend events into the OpenAI response object or
// SSE `chat.completion.chunk` events, cancels generation when the client goes away, and
// reports the outcome once (status and token counts) for metrics and rate limits.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/chat_backend.h"
#include "gateway/http_types.h"

namespace warden::gateway {

struct ChatOutcome {
  int status = 200;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::string finish_reason;
};

class ChatStream : public std::enable_shared_from_this<ChatStream> {
 public:
  ChatStream(ChatRequest request, std::string request_id, std::string model, std::shared_ptr<Responder> responder,
             std::function<void(const ChatOutcome&)> on_finish);
  // Starts generation; may throw ApiError before anything was sent.
  void run(ChatBackend& backend);

 private:
  void on_event(const GenerationEvent& event);
  std::string chunk_json(const std::string& delta_content, bool with_role, const char* finish_reason) const;
  void finish(const ChatOutcome& outcome);

  ChatRequest request_;
  std::string id_;  // "chatcmpl-..."
  std::string model_;
  int64_t created_;
  std::shared_ptr<Responder> responder_;
  std::function<void(const ChatOutcome&)> on_finish_;
  std::recursive_mutex mutex_;  // recursive: a backend may call back from inside start()
  bool started_ = false;
  std::vector<GenerationEvent> early_events_;  // arrived before run() finished starting
  std::string text_;  // non-streaming: the whole answer
  bool finished_ = false;
};

}  // namespace warden::gateway
