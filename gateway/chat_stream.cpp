#include "gateway/chat_stream.h"

#include <ctime>

#include "core/json.h"
#include "core/log.h"
#include "gateway/api_error.h"

namespace warden::gateway {

ChatStream::ChatStream(ChatRequest request, std::string request_id, std::string model,
                       std::shared_ptr<Responder> responder, std::shared_ptr<policy::RedactionSession> session,
                       std::unique_ptr<policy::OutputFilter> filter, OnFinish on_finish)
    : request_(std::move(request)),
      id_("chatcmpl-" + request_id.substr(request_id.rfind('_') + 1)),
      model_(std::move(model)),
      created_(static_cast<int64_t>(std::time(nullptr))),
      responder_(std::move(responder)),
      session_(std::move(session)),
      filter_(std::move(filter)),
      on_finish_(std::move(on_finish)) {}

void ChatStream::run(ChatBackend& backend) {
  auto self = shared_from_this();
  std::lock_guard lock(mutex_);
  cancel_ = backend.start(request_, [self](const GenerationEvent& e) { self->on_event(e); });
  // Started: from here on every path ends through finish() (done, error, filter stop or
  // disconnect).
  if (request_.stream) {
    responder_->start_stream(200, "text/event-stream", {});
    responder_->write("data: " + chunk_json("", true, nullptr) + "\n\n");
  }
  started_ = true;
  for (const auto& e : early_events_) on_event(e);
  early_events_.clear();
  std::weak_ptr<ChatStream> weak = self;
  responder_->on_disconnect([weak] {
    auto stream = weak.lock();
    if (!stream) return;
    std::lock_guard lock(stream->mutex_);
    if (stream->finished_) return;
    ChatOutcome gone;
    gone.status = 499;
    gone.finish_reason = "cancelled";
    gone.error_message = "the client closed the connection";
    stream->finish(std::move(gone));
  });
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

void ChatStream::emit(const std::string& text) {
  if (text.empty()) return;
  delivered_ += text;
  if (request_.stream) responder_->write("data: " + chunk_json(text, false, nullptr) + "\n\n");
}

void ChatStream::on_event(const GenerationEvent& event) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  if (!started_) {
    early_events_.push_back(event);
    return;
  }
  ChatOutcome outcome;
  outcome.prompt_tokens = event.prompt_tokens;
  outcome.completion_tokens = event.completion_tokens;
  try {
    switch (event.kind) {
      case GenerationEvent::Kind::kDelta:
        produced_ += event.text;
        emit(filter_ ? filter_->feed(event.text) : event.text);
        if (filter_ && filter_->stopped()) {
          // An output rule ended the answer: nothing after the match is sent.
          outcome.finish_reason = "content_filter";
          finish(std::move(outcome));
        }
        return;
      case GenerationEvent::Kind::kDone:
        if (filter_) emit(filter_->finish());
        outcome.finish_reason = filter_ && filter_->stopped() ? "content_filter" : event.finish_reason;
        if (outcome.finish_reason == "cancelled") {
          outcome.status = 499;
          outcome.error_message = "generation was cancelled";
        }
        finish(std::move(outcome));
        return;
      case GenerationEvent::Kind::kError:
        outcome.status = event.error_status;
        outcome.finish_reason = "error";
        outcome.error_message = event.error_message;
        finish(std::move(outcome));
        return;
    }
  } catch (const std::exception& e) {
    // The output filter could not check the answer: fail closed, send nothing more.
    core::log_error("output filter failed", {{"error", e.what()}});
    outcome.status = 500;
    outcome.finish_reason = "error";
    outcome.error_message = "the answer could not be checked against the policy";
    finish(std::move(outcome));
  }
}

void ChatStream::finish(ChatOutcome outcome) {
  finished_ = true;
  outcome.produced = produced_;
  outcome.delivered = delivered_;
  if (outcome.finish_reason != "stop" && outcome.finish_reason != "length" && cancel_) cancel_();
  auto self = shared_from_this();
  ChatOutcome copy = outcome;
  on_finish_(outcome, filter_.get(), [self, copy](bool durable) { self->complete(copy, durable); });
}

void ChatStream::complete(const ChatOutcome& outcome, bool durable) {
  if (outcome.status == 499) {
    if (request_.stream) responder_->end();
    return;  // nobody is listening
  }
  bool ok = outcome.status == 200;
  ApiError error = !durable ? ApiError::unavailable("The answer could not be recorded in the audit log; it is withheld.",
                                                     "audit_unavailable")
                            : ApiError(outcome.status, outcome.error_message,
                                       outcome.status >= 500 ? "server_error" : "invalid_request_error",
                                       outcome.status == 503 ? "overloaded" : "generation_failed");
  core::Json usage = core::Json::object();
  usage["prompt_tokens"] = outcome.prompt_tokens;
  usage["completion_tokens"] = outcome.completion_tokens;
  usage["total_tokens"] = outcome.prompt_tokens + outcome.completion_tokens;
  if (request_.stream) {
    if (ok && durable) {
      responder_->write("data: " + chunk_json("", false, outcome.finish_reason.c_str()) + "\n\n");
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
    } else {
      // Headers are gone already: the error travels as an SSE event, then [DONE].
      responder_->write("data: " + error.to_response().body + "\n\n");
    }
    responder_->write("data: [DONE]\n\n");
    responder_->end();
    return;
  }
  if (!ok || !durable) {
    responder_->send(error.to_response());
    return;
  }
  core::Json message = core::Json::object();
  message["role"] = "assistant";
  message["content"] = outcome.delivered;
  message["refusal"] = nullptr;
  core::Json choice = core::Json::object();
  choice["index"] = 0;
  choice["message"] = std::move(message);
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = outcome.finish_reason;
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

}  // namespace warden::gateway
