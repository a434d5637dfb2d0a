// The dry run: the same input and output stages a live request passes, on a sample
// request (and optionally a sample answer), reported in full. Nothing calls a model.
#include <algorithm>
#include <vector>

#include "policy/guardrails.h"

namespace warden::policy {
namespace {

using core::Json;

std::string text_of(const Json& content, const std::string& path, std::vector<std::string>& problems) {
  if (content.is_string()) return content.as_string();
  if (content.is_null()) return {};
  if (!content.is_array()) {
    problems.push_back(path + ": expected a string or a list of text parts, got " + content.type_name());
    return {};
  }
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const Json& part = content[i];
    const std::string p = path + "[" + std::to_string(i) + "]";
    const Json* type = part.find("type");
    const Json* t = part.find("text");
    if (!part.is_object() || !type || !type->is_string() || type->as_string() != "text" || !t || !t->is_string()) {
      problems.push_back(p + ": expected {\"type\": \"text\", \"text\": \"...\"}");
      continue;
    }
    text += t->as_string();
  }
  return text;
}

// A string member `key` of `object`; reports a problem when it is missing (and required)
// or not a string.
std::optional<std::string> string_member(const Json& object, const char* key, const std::string& path, bool required,
                                         std::vector<std::string>& problems) {
  const Json* v = object.find(key);
  if (!v) {
    if (required) problems.push_back(path + "." + key + ": required, a string");
    return std::nullopt;
  }
  if (!v->is_string()) {
    problems.push_back(path + "." + key + ": expected a string, got " + v->type_name());
    return std::nullopt;
  }
  return v->as_string();
}

void unknown_keys(const Json& object, const std::vector<std::string>& known, const std::string& path,
                  std::vector<std::string>& problems) {
  std::string expected;
  for (const auto& k : known) expected += std::string(expected.empty() ? "" : ", ") + k;
  for (const auto& [key, value] : object.as_object()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      problems.push_back(path + "." + key + ": unknown key (expected one of " + expected + ")");
    }
  }
}

// {"id"?, "type"?: "function", "function": {"name", "arguments"}}, as in an OpenAI request.
PolicyToolCall parse_tool_call(const Json& call, const std::string& path, std::vector<std::string>& problems) {
  PolicyToolCall c;
  if (!call.is_object()) {
    problems.push_back(path + ": expected an object, got " + call.type_name());
    return c;
  }
  unknown_keys(call, {"id", "type", "function"}, path, problems);
  c.id = string_member(call, "id", path, false, problems).value_or("");
  if (auto type = string_member(call, "type", path, false, problems); type && *type != "function") {
    problems.push_back(path + ".type: unknown type \"" + *type + "\" (expected function)");
  }
  const Json* fn = call.find("function");
  if (!fn || !fn->is_object()) {
    problems.push_back(path + ".function: required, an object with name and arguments");
    return c;
  }
  unknown_keys(*fn, {"name", "arguments"}, path + ".function", problems);
  c.name = string_member(*fn, "name", path + ".function", true, problems).value_or("");
  c.arguments = string_member(*fn, "arguments", path + ".function", true, problems).value_or("");
  return c;
}

// {"type"?: "function", "function": {"name", "description"?, "parameters"?: object}}.
PolicyTool parse_tool(const Json& tool, const std::string& path, std::vector<std::string>& problems) {
  PolicyTool t;
  if (!tool.is_object()) {
    problems.push_back(path + ": expected an object, got " + tool.type_name());
    return t;
  }
  unknown_keys(tool, {"type", "function"}, path, problems);
  if (auto type = string_member(tool, "type", path, false, problems); type && *type != "function") {
    problems.push_back(path + ".type: unknown type \"" + *type + "\" (expected function)");
  }
  const Json* fn = tool.find("function");
  if (!fn || !fn->is_object()) {
    problems.push_back(path + ".function: required, an object with name, description, parameters");
    return t;
  }
  unknown_keys(*fn, {"name", "description", "parameters", "strict"}, path + ".function", problems);
  t.name = string_member(*fn, "name", path + ".function", true, problems).value_or("");
  t.description = string_member(*fn, "description", path + ".function", false, problems).value_or("");
  if (const Json* params = fn->find("parameters")) {
    if (!params->is_object()) problems.push_back(path + ".function.parameters: expected an object (a JSON Schema), got " + params->type_name());
    else t.parameters = params->dump();
  }
  return t;
}

struct Sample {
  PolicyRequest request;
  std::optional<std::string> answer;
  std::vector<PolicyToolCall> answer_tool_calls;  // name and arguments
  bool has_answer() const { return answer || !answer_tool_calls.empty(); }
};

Sample parse_sample(const Json& sample) {
  std::vector<std::string> problems;
  Sample out;
  PolicyRequest& r = out.request;
  std::optional<std::string>& answer = out.answer;
  if (!sample.is_object()) throw PolicyError({std::string("sample: expected an object, got ") + sample.type_name()});
  unknown_keys(sample, {"model", "messages", "stop", "user", "max_tokens", "tools", "answer", "answer_tool_calls"}, "sample",
               problems);
  auto string_field = [&](const char* key, std::string& into) {
    const Json* v = sample.find(key);
    if (!v) return false;
    if (!v->is_string()) problems.push_back(std::string("sample.") + key + ": expected a string, got " + v->type_name());
    else into = v->as_string();
    return true;
  };
  string_field("model", r.model);
  string_field("user", r.user);
  std::string answer_text;
  if (string_field("answer", answer_text) && sample.at("answer").is_string()) answer = answer_text;
  const Json* messages = sample.find("messages");
  if (!messages) {
    problems.push_back("sample.messages: required");
  } else if (!messages->is_array() || messages->size() == 0) {
    problems.push_back("sample.messages: expected a non-empty list of messages");
  } else {
    for (size_t i = 0; i < messages->size(); ++i) {
      const Json& m = (*messages)[i];
      const std::string path = "sample.messages[" + std::to_string(i) + "]";
      if (!m.is_object()) {
        problems.push_back(path + ": expected an object, got " + m.type_name());
        continue;
      }
      PolicyMessage pm;
      unknown_keys(m, {"role", "content", "name", "tool_calls", "tool_call_id"}, path, problems);
      const Json* role = m.find("role");
      if (!role || !role->is_string()) {
        problems.push_back(path + ".role: required, a string");
      } else if (role->as_string() != "system" && role->as_string() != "developer" && role->as_string() != "user" &&
                 role->as_string() != "assistant" && role->as_string() != "tool") {
        problems.push_back(path + ".role: unknown role \"" + role->as_string() + "\" (expected system, developer, user, assistant, tool)");
      } else {
        pm.role = role->as_string() == "developer" ? "system" : role->as_string();
      }
      if (const Json* c = m.find("content")) pm.content = text_of(*c, path + ".content", problems);
      if (const Json* n = m.find("name")) {
        if (!n->is_string()) problems.push_back(path + ".name: expected a string");
        else pm.name = n->as_string();
      }
      if (const Json* calls = m.find("tool_calls")) {
        if (pm.role != "assistant") {
          problems.push_back(path + ".tool_calls: only an assistant message has tool calls");
        } else if (!calls->is_array()) {
          problems.push_back(path + ".tool_calls: expected a list of tool calls, got " + calls->type_name());
        } else {
          for (size_t j = 0; j < calls->size(); ++j) {
            pm.tool_calls.push_back(parse_tool_call((*calls)[j], path + ".tool_calls[" + std::to_string(j) + "]", problems));
          }
        }
      }
      if (m.contains("tool_call_id")) {
        if (pm.role != "tool") problems.push_back(path + ".tool_call_id: only a tool message answers a tool call");
        else pm.tool_call_id = string_member(m, "tool_call_id", path, false, problems).value_or("");
      }
      r.messages.push_back(std::move(pm));
    }
  }
  if (const Json* stop = sample.find("stop")) {
    if (stop->is_string()) {
      r.stop.push_back(stop->as_string());
    } else if (stop->is_array()) {
      for (size_t i = 0; i < stop->size(); ++i) {
        if ((*stop)[i].is_string()) r.stop.push_back((*stop)[i].as_string());
        else problems.push_back("sample.stop[" + std::to_string(i) + "]: expected a string");
      }
    } else {
      problems.push_back(std::string("sample.stop: expected a string or a list of strings, got ") + stop->type_name());
    }
  }
  if (const Json* mt = sample.find("max_tokens")) {
    if (!mt->is_int() || mt->as_int() < 1 || mt->as_int() > (1 << 24)) problems.push_back("sample.max_tokens: expected an integer from 1 to 16777216");
    else r.max_tokens = static_cast<int>(mt->as_int());
  }
  if (const Json* tools = sample.find("tools")) {
    if (!tools->is_array()) {
      problems.push_back(std::string("sample.tools: expected a list of tools, got ") + tools->type_name());
    } else {
      for (size_t t = 0; t < tools->size(); ++t) {
        r.tools.push_back(parse_tool((*tools)[t], "sample.tools[" + std::to_string(t) + "]", problems));
      }
    }
  }
  if (const Json* calls = sample.find("answer_tool_calls")) {
    if (!calls->is_array()) {
      problems.push_back(std::string("sample.answer_tool_calls: expected a list of {name, arguments}, got ") + calls->type_name());
    } else {
      for (size_t j = 0; j < calls->size(); ++j) {
        const Json& c = (*calls)[j];
        const std::string path = "sample.answer_tool_calls[" + std::to_string(j) + "]";
        if (!c.is_object()) {
          problems.push_back(path + ": expected an object {name, arguments}, got " + c.type_name());
          continue;
        }
        unknown_keys(c, {"name", "arguments"}, path, problems);
        PolicyToolCall call;
        call.name = string_member(c, "name", path, true, problems).value_or("");
        call.arguments = string_member(c, "arguments", path, true, problems).value_or("");
        out.answer_tool_calls.push_back(std::move(call));
      }
    }
  }
  if (!problems.empty()) throw PolicyError(problems);
  return out;
}

Json verdicts_json(const std::vector<RuleVerdict>& verdicts, const std::vector<MatchReport>& matches,
                   const std::vector<GuardRule>& rules) {
  Json out = Json::array();
  for (const RuleVerdict& v : verdicts) {
    Json j = Json::object();
    j["rule"] = v.rule;
    j["kind"] = v.kind;
    j["stage"] = v.stage;
    j["action"] = std::string(rule_action_name(v.action));
    j["fired"] = v.fired;
    j["where"] = v.where;
    j["detail"] = v.detail;
    Json ms = Json::array();
    for (const MatchReport& m : matches) {
      if (m.rule >= rules.size() || rules[m.rule].id != v.rule) continue;
      Json mj = Json::object();
      mj["where"] = m.where;
      mj["start"] = static_cast<int64_t>(m.start);
      mj["end"] = static_cast<int64_t>(m.end);
      mj["text"] = m.what;
      if (!m.exempted_by.empty()) mj["exempted_by"] = m.exempted_by;
      ms.push_back(std::move(mj));
    }
    j["matches"] = std::move(ms);
    out.push_back(std::move(j));
  }
  return out;
}

Json span_json(const std::string& where, const RedactedSpan& s) {
  Json j = Json::object();
  j["where"] = where;
  j["start"] = static_cast<int64_t>(s.start);
  j["end"] = static_cast<int64_t>(s.end);
  j["type"] = s.type;
  j["score"] = s.score;
  j["action"] = std::string(action_name(s.action));
  return j;
}

Json counts_json(const std::map<std::string, int64_t>& counts) {
  Json j = Json::object();
  for (const auto& [type, n] : counts) j[type] = n;
  return j;
}

int rank(Decision d) { return static_cast<int>(d); }

}  // namespace

Json policy_request_json(const PolicyRequest& r) {
  Json j = Json::object();
  j["model"] = r.model;
  Json messages = Json::array();
  for (const PolicyMessage& m : r.messages) {
    Json mj = Json::object();
    mj["role"] = m.role;
    mj["content"] = m.content;
    if (!m.name.empty()) mj["name"] = m.name;
    if (!m.tool_calls.empty()) {
      Json calls = Json::array();
      for (const PolicyToolCall& c : m.tool_calls) {
        Json fn = Json::object();
        fn["name"] = c.name;
        fn["arguments"] = c.arguments;
        Json cj = Json::object();
        if (!c.id.empty()) cj["id"] = c.id;
        cj["type"] = "function";
        cj["function"] = std::move(fn);
        calls.push_back(std::move(cj));
      }
      mj["tool_calls"] = std::move(calls);
    }
    if (!m.tool_call_id.empty()) mj["tool_call_id"] = m.tool_call_id;
    messages.push_back(std::move(mj));
  }
  j["messages"] = std::move(messages);
  if (!r.tools.empty()) {
    // Parameters as text: what the model gets, byte for byte (redacted strings spliced in).
    Json tools = Json::array();
    for (const PolicyTool& t : r.tools) {
      Json fn = Json::object();
      fn["name"] = t.name;
      fn["description"] = t.description;
      fn["parameters"] = t.parameters;
      Json tj = Json::object();
      tj["type"] = "function";
      tj["function"] = std::move(fn);
      tools.push_back(std::move(tj));
    }
    j["tools"] = std::move(tools);
  }
  Json stop = Json::array();
  for (const auto& s : r.stop) stop.push_back(s);
  j["stop"] = std::move(stop);
  j["user"] = r.user;
  j["max_tokens"] = r.max_tokens ? Json(*r.max_tokens) : Json(nullptr);
  return j;
}

Json dry_run(const CompiledPolicy& policy, const Json& sample, const TokenCounter& count_tokens) {
  const Sample parsed = parse_sample(sample);
  const PolicyRequest& request = parsed.request;
  const std::optional<std::string>& answer = parsed.answer;
  const bool has_answer = parsed.has_answer();
  const auto& impl = policy.impl();
  RedactionSession session(policy.redactor());
  std::vector<MatchReport> matches;
  const InputResult in = run_input_filter(policy, session, request, count_tokens, &matches);

  Json result = Json::object();
  Json id = Json::object();
  id["name"] = policy.identity().name;
  id["version"] = policy.identity().version;
  result["policy"] = std::move(id);
  Decision overall = in.decision;

  Json input = Json::object();
  input["decision"] = std::string(decision_name(in.decision));
  input["verdicts"] = verdicts_json(in.verdicts, matches, impl.input);
  Json spans = Json::array();
  for (const SpanReport& s : in.spans) spans.push_back(span_json(s.where, s.span));
  input["spans"] = std::move(spans);
  input["entity_counts"] = counts_json(in.entity_counts);
  input["request"] = policy_request_json(in.request);
  if (in.decision == Decision::kBlocked) {
    Json block = Json::object();
    block["rule"] = in.block_rule;
    block["message"] = in.block_message;
    Json types = Json::array();
    for (const auto& t : in.blocked_types) types.push_back(t);
    block["types"] = std::move(types);
    input["block"] = std::move(block);
  } else {
    input["block"] = nullptr;
  }

  Json output;
  if (has_answer && in.decision == Decision::kBlocked) {
    output = Json::object();
    output["skipped"] = "the input was blocked; the model would not be called";
  } else if (has_answer) {
    // As the gateway does: the answer text first, then each call the model made, in order.
    OutputFilter filter(policy, session);
    std::string delivered = filter.feed(answer.value_or(""));
    delivered += filter.finish();
    Json calls = Json::array();
    for (size_t i = 0; i < parsed.answer_tool_calls.size(); ++i) {
      const PolicyToolCall& call = parsed.answer_tool_calls[i];
      Json cj = Json::object();
      cj["name"] = call.name;
      if (filter.stopped()) {
        cj["arguments"] = nullptr;
        cj["withheld"] = "policy";  // never sent: the answer was stopped
      } else {
        std::string checked = filter.check_tool_call(i, call.name, call.arguments);
        cj["arguments"] = filter.stopped() ? Json(nullptr) : Json(std::move(checked));
        if (filter.stopped()) cj["withheld"] = "policy";
      }
      calls.push_back(std::move(cj));
    }
    output = Json::object();
    output["decision"] = std::string(decision_name(filter.decision()));
    output["text"] = delivered;
    if (!parsed.answer_tool_calls.empty()) output["tool_calls"] = std::move(calls);
    output["finish_reason"] = filter.stopped() ? "content_filter" : parsed.answer_tool_calls.empty() ? "stop" : "tool_calls";
    output["stop_rule"] = filter.stopped() ? Json(filter.stop_rule()) : Json(nullptr);
    output["verdicts"] = verdicts_json(filter.verdicts(), output_match_reports(filter), impl.output);
    Json out_spans = Json::array();
    for (const RedactedSpan& s : filter.spans()) out_spans.push_back(span_json("output", s));
    for (const SpanReport& s : filter.tool_call_spans()) out_spans.push_back(span_json(s.where, s.span));
    output["spans"] = std::move(out_spans);
    output["entity_counts"] = counts_json(filter.entity_counts());
    if (rank(filter.decision()) > rank(overall)) overall = filter.decision();
  }
  result["decision"] = std::string(decision_name(overall));
  result["input"] = std::move(input);
  if (has_answer) result["output"] = std::move(output);
  return result;
}

}  // namespace warden::policy
