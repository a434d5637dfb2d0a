#include "gateway/chat_stream.h"

#include <ctime>

#include "core/json.h"
#include "gateway/api_error.h"

namespace warden::gateway {

ChatStream::ChatStream(ChatRequest request, std::string request_id, std::string model,
                       std::shared_ptr<Responder> responder, std::function<void(const ChatOutcome&)> on_finish)
    : request_(std::move(request)),
      id_("chatcmpl-" + request_id.substr(request_id.rfind('_') + 1)),
      model_(std::move(model)),
      created_(static_cast<int64_t>(std::time(nullptr))),
      responder_(std::move(responder)),
      on_finish_(std::move(on_finish)) {}

void ChatStream::run(ChatBackend& backend) {
  auto self = shared_from_this();
  std::lock_guard lock(mutex_);
  auto cancel = backend.start(request_, [self](const GenerationEvent& e) { self->on_event(e); });
  // Started: from here on every path ends through on_event (done or error).
  if (request_.stream) {
    responder_->start_stream(200, "text/event-stream", {});
    responder_->write("data: " + chunk_json("", true, nullptr) + "\n\n");
  }
  started_ = true;
  for (const auto& e : early_events_) on_event(e);
  early_events_.clear();
  responder_->on_disconnect([cancel] { cancel(); });
}

std::string ChatStream::chunk_json(const std::string& delta_content, bool with_role, const char* finish_reason) const {
  core::Json chunk = core::Json::object();
  chunk["id"] = id_;
  chunk["object"] = "chat.completion.chunk";
  chunk["created"] = created_;
  chunk["model"] = model_;
  core::Json delta = core::Json::object();
  if (with_role) delta["role"] = "assistant";
  if (with_role || !delta_content.empty()) delta["content"] = delta_content;
  core::Json choice = core::Json::object();
  choice["index"] = 0;
  choice["delta"] = std::move(delta);
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_reason ? core::Json(finish_reason) : core::Json(nullptr);
  chunk["choices"] = core::Json::array();
  chunk["choices"].push_back(std::move(choice));
  if (request_.include_usage) chunk["usage"] = nullptr;
  return chunk.dump();
}

void ChatStream::on_event(const GenerationEvent& event) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  if (!started_) {
    early_events_.push_back(event);
    return;
  }
  switch (event.kind) {
    case GenerationEvent::Kind::kDelta:
      if (request_.stream) {
        if (!event.text.empty()) responder_->write("data: " + chunk_json(event.text, false, nullptr) + "\n\n");
      } else {
        text_ += event.text;
      }
      return;
    case GenerationEvent::Kind::kDone: {
      core::Json usage = core::Json::object();
      usage["prompt_tokens"] = event.prompt_tokens;
      usage["completion_tokens"] = event.completion_tokens;
      usage["total_tokens"] = event.prompt_tokens + event.completion_tokens;
      if (request_.stream) {
        responder_->write("data: " + chunk_json("", false, event.finish_reason.c_str()) + "\n\n");
        if (request_.include_usage) {
          core::Json last = core::Json::object();
          last["id"] = id_;
          last["object"] = "chat.completion.chunk";
          last["created"] = created_;
          last["model"] = model_;
          last["choices"] = core::Json::array();
          last["usage"] = usage;
          responder_->write("data: " + last.dump() + "\n\n");
        }
        responder_->write("data: [DONE]\n\n");
        responder_->end();
      } else {
        core::Json message = core::Json::object();
        message["role"] = "assistant";
        message["content"] = text_;
        message["refusal"] = nullptr;
        core::Json choice = core::Json::object();
        choice["index"] = 0;
        choice["message"] = std::move(message);
        choice["logprobs"] = nullptr;
        choice["finish_reason"] = event.finish_reason;
        core::Json body = core::Json::object();
        body["id"] = id_;
        body["object"] = "chat.completion";
        body["created"] = created_;
        body["model"] = model_;
        body["choices"] = core::Json::array();
        body["choices"].push_back(std::move(choice));
        body["usage"] = usage;
        HttpResponse r;
        r.body = body.dump();
        responder_->send(std::move(r));
      }
      finished_ = true;
      on_finish_({200, event.prompt_tokens, event.completion_tokens, event.finish_reason});
      return;
    }
    case GenerationEvent::Kind::kError: {
      ApiError error(event.error_status, event.error_message, event.error_status >= 500 ? "server_error" : "invalid_request_error",
                     event.error_status == 503 ? "overloaded" : "generation_failed");
      if (request_.stream) {
        // Headers are gone already: the error travels as an SSE event, then [DONE].
        responder_->write("data: " + error.to_response().body + "\n\n");
        responder_->write("data: [DONE]\n\n");
        responder_->end();
      } else {
        responder_->send(error.to_response());
      }
      finished_ = true;
      on_finish_({event.error_status, event.prompt_tokens, event.completion_tokens, "error"});
      return;
    }
  }
}

}  // namespace warden::gateway
