#include "gateway/chat_stream.h"

#include <algorithm>
#include <ctime>

#include "core/json.h"
#include "core/log.h"
#include "gateway/api_error.h"

namespace warden::gateway {
namespace {

core::Json tool_call_json(const ToolCallOutcome& call) {
  core::Json fn = core::Json::object();
  fn["name"] = call.name;
  fn["arguments"] = call.delivered_arguments;
  core::Json item = core::Json::object();
  item["id"] = call.id;
  item["type"] = "function";
  item["function"] = std::move(fn);
  return item;
}

}  // namespace

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

std::string ChatStream::chunk_with(core::Json delta, const char* finish_reason) const {
  core::Json chunk = core::Json::object();
  chunk["id"] = id_;
  chunk["object"] = "chat.completion.chunk";
  chunk["created"] = created_;
  chunk["model"] = model_;
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

std::string ChatStream::chunk_json(const std::string& delta_content, bool with_role, const char* finish_reason) const {
  core::Json delta = core::Json::object();
  if (with_role) delta["role"] = "assistant";
  if (with_role || !delta_content.empty()) delta["content"] = delta_content;
  return chunk_with(std::move(delta), finish_reason);
}

// The whole call in one delta: id, name and all the arguments (clients accumulate deltas
// by index, so one piece is as valid as many).
std::string ChatStream::tool_call_chunk_json(size_t index, const ToolCallOutcome& call) const {
  core::Json delta = core::Json::object();
  delta["tool_calls"] = core::Json::array();
  delta["tool_calls"].push_back(tool_call_json(call));
  delta["tool_calls"][0]["index"] = static_cast<int64_t>(index);
  return chunk_with(std::move(delta), nullptr);
}

bool ChatStream::tool_calls_allowed() const {
  return !request_.tools.empty() && request_.tool_choice.mode != ToolChoice::Mode::kNone;
}

bool ChatStream::on_tool_call(const GenerationEvent& event) {
  ToolCallOutcome call;
  call.id = "call_" + id_.substr(id_.find('-') + 1) + "_" + std::to_string(tool_calls_.size());
  call.name = event.tool_name;
  call.produced_arguments = event.tool_arguments;
  call.complete = event.tool_call_complete;
  if (!content_closed_) {
    // The answer's text ends where its calls begin; what the filter held back goes first.
    content_closed_ = true;
    if (filter_) emit(filter_->finish());
    if (filter_ && filter_->stopped()) {
      tool_calls_.push_back(std::move(call));
      tool_calls_.back().withheld = "policy";
      return false;
    }
  }
  if (!tool_calls_allowed()) {
    call.withheld = "tool_choice none";
  } else if (!request_.parallel_tool_calls && delivered_calls_ > 0) {
    call.withheld = "parallel_tool_calls false";
  } else if (filter_) {
    call.delivered_arguments = filter_->check_tool_call(delivered_calls_, call.name, call.produced_arguments);
    if (filter_->stopped()) call.withheld = "policy";
  } else {
    call.delivered_arguments = call.produced_arguments;
  }
  const bool stopped = call.withheld == "policy";
  if (call.withheld.empty()) {
    if (request_.stream) responder_->write("data: " + tool_call_chunk_json(delivered_calls_, call) + "\n\n");
    ++delivered_calls_;
  }
  tool_calls_.push_back(std::move(call));
  return !stopped;
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
        if (content_closed_) return;  // text after the calls: kept in `produced` for the audit only
        emit(filter_ ? filter_->feed(event.text) : event.text);
        if (filter_ && filter_->stopped()) {
          // An output rule ended the answer: nothing after the match is sent.
          outcome.finish_reason = "content_filter";
          finish(std::move(outcome));
        }
        return;
      case GenerationEvent::Kind::kToolCall:
        if (!on_tool_call(event)) {
          outcome.finish_reason = "content_filter";
          finish(std::move(outcome));
        }
        return;
      case GenerationEvent::Kind::kDone:
        if (filter_ && !content_closed_) emit(filter_->finish());
        outcome.finish_reason = filter_ && filter_->stopped() ? "content_filter" : event.finish_reason;
        if (outcome.finish_reason == "stop" && delivered_calls_ > 0) outcome.finish_reason = "tool_calls";
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
  outcome.tool_calls = tool_calls_;
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
  const bool with_calls = std::any_of(outcome.tool_calls.begin(), outcome.tool_calls.end(),
                                      [](const ToolCallOutcome& c) { return c.withheld.empty(); });
  message["content"] = with_calls && outcome.delivered.empty() ? core::Json(nullptr) : core::Json(outcome.delivered);
  message["refusal"] = nullptr;
  if (with_calls) {
    message["tool_calls"] = core::Json::array();
    for (const ToolCallOutcome& c : outcome.tool_calls) {
      if (c.withheld.empty()) message["tool_calls"].push_back(tool_call_json(c));
    }
  }
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
