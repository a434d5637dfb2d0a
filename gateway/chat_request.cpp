#include "gateway/chat_request.h"

#include <cmath>
#include <set>

#include "gateway/api_error.h"

namespace warden::gateway {
namespace {

// Accepted fields. Anything else is refused by name, as the hosted API does, so a
// client never silently loses a setting it thinks it sent.
const std::set<std::string> kKnownFields = {
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop", "n",
    "presence_penalty", "frequency_penalty", "user", "stream", "stream_options"};

const char* kind(const core::Json& v) { return v.type_name(); }

double number_in(const core::Json& body, const char* field, double lo, double hi, double fallback) {
  const core::Json* v = body.find(field);
  if (!v || v->is_null()) return fallback;
  if (!v->is_number()) {
    throw ApiError::bad_request(std::string(field) + " must be a number, got " + kind(*v), field, "invalid_type");
  }
  double d = v->as_double();
  if (!std::isfinite(d) || d < lo || d > hi) {
    throw ApiError::bad_request(std::string(field) + " must be between " + std::to_string(lo).substr(0, 4) + " and " +
                                    std::to_string(hi).substr(0, 4),
                                field);
  }
  return d;
}

std::string message_text(const core::Json& content, size_t index) {
  std::string param = "messages[" + std::to_string(index) + "].content";
  if (content.is_string()) return content.as_string();
  if (content.is_null()) return "";
  if (!content.is_array()) {
    throw ApiError::bad_request(param + " must be a string or an array of content parts, got " + kind(content), param,
                                "invalid_type");
  }
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const core::Json& part = content[i];
    std::string part_param = param + "[" + std::to_string(i) + "]";
    if (!part.is_object()) throw ApiError::bad_request(part_param + " must be an object", part_param, "invalid_type");
    const core::Json* type = part.find("type");
    if (!type || !type->is_string()) throw ApiError::bad_request(part_param + ".type is required", part_param + ".type");
    if (type->as_string() != "text") {
      throw ApiError::bad_request(part_param + ".type \"" + type->as_string() + "\" is not supported (only \"text\")",
                                  part_param + ".type");
    }
    const core::Json* t = part.find("text");
    if (!t || !t->is_string()) {
      throw ApiError::bad_request(part_param + ".text must be a string", part_param + ".text", "invalid_type");
    }
    text += t->as_string();
  }
  return text;
}

}  // namespace

ChatRequest parse_chat_request(const core::Json& body, const ChatLimits& limits) {
  if (!body.is_object()) throw ApiError::bad_request("the request body must be a JSON object", std::nullopt, "invalid_type");
  for (const auto& [key, value] : body.as_object()) {
    if (!kKnownFields.count(key)) {
      throw ApiError::bad_request("Unrecognized request argument supplied: " + key, key, "unknown_parameter");
    }
  }
  ChatRequest request;
  const core::Json* model = body.find("model");
  if (!model || !model->is_string() || model->as_string().empty()) {
    throw ApiError::bad_request("model is required and must be a non-empty string", "model");
  }
  request.model = model->as_string();

  const core::Json* messages = body.find("messages");
  if (!messages || !messages->is_array()) {
    throw ApiError::bad_request("messages is required and must be an array", "messages", "invalid_type");
  }
  if (messages->size() == 0) throw ApiError::bad_request("messages must contain at least one message", "messages");
  if (messages->size() > static_cast<size_t>(limits.max_messages)) {
    throw ApiError::bad_request("messages has " + std::to_string(messages->size()) + " entries; at most " +
                                    std::to_string(limits.max_messages) + " are allowed",
                                "messages");
  }
  for (size_t i = 0; i < messages->size(); ++i) {
    const core::Json& m = (*messages)[i];
    std::string param = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw ApiError::bad_request(param + " must be an object", param, "invalid_type");
    const core::Json* role = m.find("role");
    if (!role || !role->is_string()) throw ApiError::bad_request(param + ".role is required", param + ".role");
    const std::string& r = role->as_string();
    if (r != "system" && r != "developer" && r != "user" && r != "assistant") {
      throw ApiError::bad_request(param + ".role \"" + r + "\" is not supported (system, developer, user, assistant)",
                                  param + ".role");
    }
    for (const auto& [key, value] : m.as_object()) {
      if (key != "role" && key != "content" && key != "name") {
        throw ApiError::bad_request(param + "." + key + " is not supported", param + "." + key, "unknown_parameter");
      }
    }
    const core::Json* content = m.find("content");
    if (!content && r != "assistant") throw ApiError::bad_request(param + ".content is required", param + ".content");
    ChatMessage message;
    message.role = r == "developer" ? "system" : r;
    message.content = content ? message_text(*content, i) : "";
    if (const core::Json* name = m.find("name")) {
      if (!name->is_string()) throw ApiError::bad_request(param + ".name must be a string", param + ".name", "invalid_type");
      message.name = name->as_string();
    }
    request.messages.push_back(std::move(message));
  }

  for (const char* field : {"max_tokens", "max_completion_tokens"}) {
    const core::Json* v = body.find(field);
    if (!v || v->is_null()) continue;
    if (!v->is_int()) throw ApiError::bad_request(std::string(field) + " must be an integer", field, "invalid_type");
    if (v->as_int() < 1 || v->as_int() > (1 << 24)) throw ApiError::bad_request(std::string(field) + " must be at least 1", field);
    request.max_tokens = static_cast<int>(v->as_int());
  }
  request.temperature = number_in(body, "temperature", 0.0, 2.0, 1.0);
  request.top_p = number_in(body, "top_p", 0.0, 1.0, 1.0);
  request.presence_penalty = number_in(body, "presence_penalty", -2.0, 2.0, 0.0);
  request.frequency_penalty = number_in(body, "frequency_penalty", -2.0, 2.0, 0.0);
  if (const core::Json* seed = body.find("seed"); seed && !seed->is_null()) {
    if (!seed->is_int()) throw ApiError::bad_request("seed must be an integer", "seed", "invalid_type");
    request.seed = static_cast<uint64_t>(seed->as_int());
  }
  if (const core::Json* n = body.find("n"); n && !n->is_null()) {
    if (!n->is_int()) throw ApiError::bad_request("n must be an integer", "n", "invalid_type");
    if (n->as_int() != 1) throw ApiError::bad_request("n must be 1: Warden returns one choice per request", "n");
  }
  if (const core::Json* stop = body.find("stop"); stop && !stop->is_null()) {
    if (stop->is_string()) {
      request.stop.push_back(stop->as_string());
    } else if (stop->is_array()) {
      for (size_t i = 0; i < stop->size(); ++i) {
        if (!(*stop)[i].is_string()) throw ApiError::bad_request("stop must be a string or an array of strings", "stop", "invalid_type");
        request.stop.push_back((*stop)[i].as_string());
      }
    } else {
      throw ApiError::bad_request("stop must be a string or an array of strings", "stop", "invalid_type");
    }
    if (request.stop.size() > static_cast<size_t>(limits.max_stop_sequences)) {
      throw ApiError::bad_request("stop may hold at most " + std::to_string(limits.max_stop_sequences) + " sequences", "stop");
    }
    for (const auto& s : request.stop) {
      if (s.empty()) throw ApiError::bad_request("stop sequences must not be empty", "stop");
    }
  }
  if (const core::Json* user = body.find("user"); user && !user->is_null()) {
    if (!user->is_string()) throw ApiError::bad_request("user must be a string", "user", "invalid_type");
    request.user = user->as_string();
  }
  if (const core::Json* stream = body.find("stream"); stream && !stream->is_null()) {
    if (!stream->is_bool()) throw ApiError::bad_request("stream must be a boolean", "stream", "invalid_type");
    request.stream = stream->as_bool();
  }
  if (const core::Json* options = body.find("stream_options"); options && !options->is_null()) {
    if (!options->is_object()) throw ApiError::bad_request("stream_options must be an object", "stream_options", "invalid_type");
    if (!request.stream) throw ApiError::bad_request("stream_options is only allowed when stream is true", "stream_options");
    for (const auto& [key, value] : options->as_object()) {
      if (key != "include_usage") {
        throw ApiError::bad_request("stream_options." + key + " is not supported", "stream_options." + key, "unknown_parameter");
      }
      if (!value.is_bool()) {
        throw ApiError::bad_request("stream_options.include_usage must be a boolean", "stream_options.include_usage", "invalid_type");
      }
      request.include_usage = value.as_bool();
    }
  }
  return request;
}

}  // namespace warden::gateway
