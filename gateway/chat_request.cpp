#include "gateway/chat_request.h"

#include <cctype>
#include <cmath>
#include <set>

#include "gateway/api_error.h"

namespace warden::gateway {
namespace {

// Accepted fields. Anything else is refused by name, as the hosted API does, so a
// client never silently loses a setting it thinks it sent.
const std::set<std::string> kKnownFields = {
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop", "n",
    "presence_penalty", "frequency_penalty", "user", "stream", "stream_options", "tools", "tool_choice",
    "parallel_tool_calls"};

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

// OpenAI function names: letters, digits, '_' and '-', at most 64.
bool valid_function_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

const core::Json& required_string(const core::Json& object, const char* key, const std::string& param) {
  const core::Json* v = object.find(key);
  if (!v || !v->is_string()) {
    throw ApiError::bad_request(param + "." + key + " is required and must be a string", param + "." + key,
                                v ? "invalid_type" : "invalid_value");
  }
  return *v;
}

void only_keys(const core::Json& object, std::initializer_list<const char*> keys, const std::string& param) {
  for (const auto& [key, value] : object.as_object()) {
    bool known = false;
    for (const char* k : keys) known = known || key == k;
    if (!known) throw ApiError::bad_request(param + "." + key + " is not supported", param + "." + key, "unknown_parameter");
  }
}

ToolCall parse_tool_call(const core::Json& call, const std::string& param) {
  if (!call.is_object()) throw ApiError::bad_request(param + " must be an object", param, "invalid_type");
  only_keys(call, {"id", "type", "function"}, param);
  ToolCall out;
  out.id = required_string(call, "id", param).as_string();
  if (out.id.empty()) throw ApiError::bad_request(param + ".id must not be empty", param + ".id");
  if (required_string(call, "type", param).as_string() != "function") {
    throw ApiError::bad_request(param + ".type must be \"function\"", param + ".type");
  }
  const core::Json* fn = call.find("function");
  if (!fn || !fn->is_object()) {
    throw ApiError::bad_request(param + ".function is required and must be an object", param + ".function", "invalid_type");
  }
  only_keys(*fn, {"name", "arguments"}, param + ".function");
  out.name = required_string(*fn, "name", param + ".function").as_string();
  if (!valid_function_name(out.name)) {
    throw ApiError::bad_request(param + ".function.name must be 1 to 64 letters, digits, '_' or '-'",
                                param + ".function.name");
  }
  out.arguments = required_string(*fn, "arguments", param + ".function").as_string();
  return out;
}

ChatMessage parse_message(const core::Json& m, size_t i) {
  std::string param = "messages[" + std::to_string(i) + "]";
  if (!m.is_object()) throw ApiError::bad_request(param + " must be an object", param, "invalid_type");
  const core::Json* role = m.find("role");
  if (!role || !role->is_string()) throw ApiError::bad_request(param + ".role is required", param + ".role");
  const std::string& r = role->as_string();
  if (r == "function") {
    throw ApiError::bad_request(param + ".role \"function\" is the deprecated form: send role \"tool\" with tool_call_id",
                                param + ".role");
  }
  if (r != "system" && r != "developer" && r != "user" && r != "assistant" && r != "tool") {
    throw ApiError::bad_request(param + ".role \"" + r + "\" is not supported (system, developer, user, assistant, tool)",
                                param + ".role");
  }
  if (r == "assistant") {
    // An assistant message as our responses carry it (refusal: null) can be sent back as is.
    only_keys(m, {"role", "content", "name", "tool_calls", "refusal"}, param);
  } else if (r == "tool") {
    only_keys(m, {"role", "content", "name", "tool_call_id"}, param);
  } else {
    only_keys(m, {"role", "content", "name"}, param);
  }
  if (const core::Json* refusal = m.find("refusal"); refusal && !refusal->is_null() && !refusal->is_string()) {
    throw ApiError::bad_request(param + ".refusal must be a string or null", param + ".refusal", "invalid_type");
  }
  ChatMessage message;
  message.role = r == "developer" ? "system" : r;
  if (const core::Json* calls = m.find("tool_calls"); calls && !calls->is_null()) {
    if (!calls->is_array()) throw ApiError::bad_request(param + ".tool_calls must be an array", param + ".tool_calls", "invalid_type");
    for (size_t j = 0; j < calls->size(); ++j) {
      message.tool_calls.push_back(parse_tool_call((*calls)[j], param + ".tool_calls[" + std::to_string(j) + "]"));
    }
  }
  const core::Json* content = m.find("content");
  const bool may_omit = r == "assistant";  // with tool_calls, or a prefix the model continues
  if ((!content || content->is_null()) && !may_omit) {
    throw ApiError::bad_request(param + ".content is required", param + ".content");
  }
  if (content && content->is_null() && r == "assistant" && message.tool_calls.empty()) {
    throw ApiError::bad_request(param + ".content may be null only when the message has tool_calls", param + ".content");
  }
  message.content = content ? message_text(*content, i) : "";
  if (r == "tool") message.tool_call_id = required_string(m, "tool_call_id", param).as_string();
  if (const core::Json* name = m.find("name")) {
    if (!name->is_string()) throw ApiError::bad_request(param + ".name must be a string", param + ".name", "invalid_type");
    message.name = name->as_string();
  }
  return message;
}

// Every tool message answers a call of the assistant message before its run of tool
// messages, once; call ids are unique within an assistant message.
void check_tool_messages(const std::vector<ChatMessage>& messages) {
  std::set<std::string> open;  // calls of the last assistant message not answered yet
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    std::string param = "messages[" + std::to_string(i) + "]";
    if (m.role == "assistant") {
      open.clear();
      for (size_t j = 0; j < m.tool_calls.size(); ++j) {
        if (!open.insert(m.tool_calls[j].id).second) {
          std::string p = param + ".tool_calls[" + std::to_string(j) + "].id";
          throw ApiError::bad_request(p + " \"" + m.tool_calls[j].id + "\" is used twice in this message", p);
        }
      }
    } else if (m.role == "tool") {
      if (i == 0 || (messages[i - 1].role != "tool" && messages[i - 1].role != "assistant") ||
          (messages[i - 1].role == "assistant" && messages[i - 1].tool_calls.empty())) {
        throw ApiError::bad_request(param + ": a message with role \"tool\" must follow an assistant message with tool_calls "
                                    "(or another tool message)", param + ".role");
      }
      if (!open.erase(m.tool_call_id)) {
        throw ApiError::bad_request(param + ".tool_call_id \"" + m.tool_call_id +
                                        "\" does not name an unanswered call of the preceding assistant message",
                                    param + ".tool_call_id");
      }
    } else {
      open.clear();
    }
  }
}

void parse_tools(const core::Json& body, const ChatLimits& limits, ChatRequest& request) {
  if (const core::Json* tools = body.find("tools"); tools && !tools->is_null()) {
    if (!tools->is_array()) throw ApiError::bad_request("tools must be an array", "tools", "invalid_type");
    if (tools->size() == 0) throw ApiError::bad_request("tools must contain at least one function (or be left out)", "tools");
    if (tools->size() > static_cast<size_t>(limits.max_tools)) {
      throw ApiError::bad_request("tools has " + std::to_string(tools->size()) + " entries; at most " +
                                      std::to_string(limits.max_tools) + " are allowed",
                                  "tools");
    }
    std::set<std::string> names;
    for (size_t t = 0; t < tools->size(); ++t) {
      const core::Json& tool = (*tools)[t];
      std::string param = "tools[" + std::to_string(t) + "]";
      if (!tool.is_object()) throw ApiError::bad_request(param + " must be an object", param, "invalid_type");
      only_keys(tool, {"type", "function"}, param);
      if (required_string(tool, "type", param).as_string() != "function") {
        throw ApiError::bad_request(param + ".type must be \"function\" (the only tool type Warden serves)", param + ".type");
      }
      const core::Json* fn = tool.find("function");
      if (!fn || !fn->is_object()) {
        throw ApiError::bad_request(param + ".function is required and must be an object", param + ".function", "invalid_type");
      }
      std::string fparam = param + ".function";
      only_keys(*fn, {"name", "description", "parameters", "strict"}, fparam);
      ToolDefinition def;
      def.name = required_string(*fn, "name", fparam).as_string();
      if (!valid_function_name(def.name)) {
        throw ApiError::bad_request(fparam + ".name must be 1 to 64 letters, digits, '_' or '-'", fparam + ".name");
      }
      if (!names.insert(def.name).second) {
        throw ApiError::bad_request(fparam + ".name \"" + def.name + "\" is defined twice", fparam + ".name");
      }
      if (const core::Json* d = fn->find("description"); d && !d->is_null()) {
        if (!d->is_string()) throw ApiError::bad_request(fparam + ".description must be a string", fparam + ".description", "invalid_type");
        def.description = d->as_string();
      }
      if (const core::Json* p = fn->find("parameters"); p && !p->is_null()) {
        if (!p->is_object()) {
          throw ApiError::bad_request(fparam + ".parameters must be a JSON Schema object", fparam + ".parameters", "invalid_type");
        }
        def.parameters = p->dump();
      }
      if (const core::Json* st = fn->find("strict"); st && !st->is_null()) {
        if (!st->is_bool()) throw ApiError::bad_request(fparam + ".strict must be a boolean", fparam + ".strict", "invalid_type");
        if (st->as_bool()) {
          // Promising schema-exact arguments without constrained decoding would be a lie.
          throw ApiError::bad_request(fparam + ".strict: true is not supported: Warden does not constrain the model's "
                                          "arguments to the schema (send strict: false and validate them)",
                                      fparam + ".strict");
        }
      }
      request.tools.push_back(std::move(def));
    }
  }
  const bool has_tools = !request.tools.empty();
  request.tool_choice.mode = has_tools ? ToolChoice::Mode::kAuto : ToolChoice::Mode::kNone;
  if (const core::Json* choice = body.find("tool_choice"); choice && !choice->is_null()) {
    if (!has_tools) throw ApiError::bad_request("tool_choice is only allowed when tools are given", "tool_choice");
    if (choice->is_string()) {
      const std::string& c = choice->as_string();
      if (c == "auto") request.tool_choice.mode = ToolChoice::Mode::kAuto;
      else if (c == "none") request.tool_choice.mode = ToolChoice::Mode::kNone;
      else if (c == "required") request.tool_choice.mode = ToolChoice::Mode::kRequired;
      else throw ApiError::bad_request("tool_choice must be \"none\", \"auto\", \"required\" or a function object", "tool_choice");
    } else if (choice->is_object()) {
      only_keys(*choice, {"type", "function"}, "tool_choice");
      if (required_string(*choice, "type", "tool_choice").as_string() != "function") {
        throw ApiError::bad_request("tool_choice.type must be \"function\"", "tool_choice.type");
      }
      const core::Json* fn = choice->find("function");
      if (!fn || !fn->is_object()) throw ApiError::bad_request("tool_choice.function must be an object", "tool_choice.function", "invalid_type");
      only_keys(*fn, {"name"}, "tool_choice.function");
      std::string name = required_string(*fn, "name", "tool_choice.function").as_string();
      bool known = false;
      for (const auto& t : request.tools) known = known || t.name == name;
      if (!known) throw ApiError::bad_request("tool_choice names \"" + name + "\", which is not in tools", "tool_choice.function.name");
      request.tool_choice.mode = ToolChoice::Mode::kFunction;
      request.tool_choice.function = name;
    } else {
      throw ApiError::bad_request("tool_choice must be a string or an object", "tool_choice", "invalid_type");
    }
  }
  if (const core::Json* p = body.find("parallel_tool_calls"); p && !p->is_null()) {
    if (!p->is_bool()) throw ApiError::bad_request("parallel_tool_calls must be a boolean", "parallel_tool_calls", "invalid_type");
    if (!has_tools) throw ApiError::bad_request("parallel_tool_calls is only allowed when tools are given", "parallel_tool_calls");
    request.parallel_tool_calls = p->as_bool();
  }
}

}  // namespace

ChatRequest parse_chat_request(const core::Json& body, const ChatLimits& limits) {
  if (!body.is_object()) throw ApiError::bad_request("the request body must be a JSON object", std::nullopt, "invalid_type");
  for (const auto& [key, value] : body.as_object()) {
    if (key == "functions" || key == "function_call") {
      throw ApiError::bad_request(key + " is the deprecated form of function calling: send tools and tool_choice", key,
                                  "unknown_parameter");
    }
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
    request.messages.push_back(parse_message((*messages)[i], i));
  }
  check_tool_messages(request.messages);

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
  parse_tools(body, limits, request);
  return request;
}

void refuse_tool_use(const ChatRequest& request) {
  const std::string why = " needs function calling, which this model's chat template does not have";
  if (!request.tools.empty()) throw ApiError::bad_request("tools" + why, "tools");
  for (size_t i = 0; i < request.messages.size(); ++i) {
    const ChatMessage& m = request.messages[i];
    std::string param = "messages[" + std::to_string(i) + "]";
    if (m.role == "tool") throw ApiError::bad_request(param + " (role tool)" + why, param + ".role");
    if (!m.tool_calls.empty()) throw ApiError::bad_request(param + ".tool_calls" + why, param + ".tool_calls");
  }
}

}  // namespace warden::gateway
