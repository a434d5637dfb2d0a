// The dry run: the same input and output stages a live request passes, on a sample
// request (and optionally a sample answer), reported in full. Nothing calls a model.
#include <set>

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

PolicyRequest parse_sample(const Json& sample, std::optional<std::string>& answer) {
  std::vector<std::string> problems;
  PolicyRequest r;
  if (!sample.is_object()) throw PolicyError({std::string("sample: expected an object, got ") + sample.type_name()});
  static const std::set<std::string> known = {"model", "messages", "stop", "user", "max_tokens", "answer"};
  for (const auto& [key, value] : sample.as_object()) {
    if (!known.count(key)) problems.push_back("sample." + key + ": unknown key (expected one of model, messages, stop, user, max_tokens, answer)");
  }
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
      for (const auto& [key, value] : m.as_object()) {
        if (key != "role" && key != "content" && key != "name") problems.push_back(path + "." + key + ": unknown key (expected role, content, name)");
      }
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
  if (!problems.empty()) throw PolicyError(problems);
  return r;
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

Json request_json(const PolicyRequest& r) {
  Json j = Json::object();
  j["model"] = r.model;
  Json messages = Json::array();
  for (const PolicyMessage& m : r.messages) {
    Json mj = Json::object();
    mj["role"] = m.role;
    mj["content"] = m.content;
    if (!m.name.empty()) mj["name"] = m.name;
    messages.push_back(std::move(mj));
  }
  j["messages"] = std::move(messages);
  Json stop = Json::array();
  for (const auto& s : r.stop) stop.push_back(s);
  j["stop"] = std::move(stop);
  j["user"] = r.user;
  j["max_tokens"] = r.max_tokens ? Json(*r.max_tokens) : Json(nullptr);
  return j;
}

int rank(Decision d) { return static_cast<int>(d); }

}  // namespace

Json dry_run(const CompiledPolicy& policy, const Json& sample, const TokenCounter& count_tokens) {
  std::optional<std::string> answer;
  const PolicyRequest request = parse_sample(sample, answer);
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
  input["request"] = request_json(in.request);
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
  if (answer && in.decision == Decision::kBlocked) {
    output = Json::object();
    output["skipped"] = "the input was blocked; the model would not be called";
  } else if (answer) {
    OutputFilter filter(policy, session);
    std::string delivered = filter.feed(*answer);
    delivered += filter.finish();
    output = Json::object();
    output["decision"] = std::string(decision_name(filter.decision()));
    output["text"] = delivered;
    output["finish_reason"] = filter.stopped() ? "content_filter" : "stop";
    output["stop_rule"] = filter.stopped() ? Json(filter.stop_rule()) : Json(nullptr);
    output["verdicts"] = verdicts_json(filter.verdicts(), output_match_reports(filter), impl.output);
    Json out_spans = Json::array();
    for (const RedactedSpan& s : filter.spans()) out_spans.push_back(span_json("output", s));
    output["spans"] = std::move(out_spans);
    output["entity_counts"] = counts_json(filter.entity_counts());
    if (rank(filter.decision()) > rank(overall)) overall = filter.decision();
  }
  result["decision"] = std::string(decision_name(overall));
  result["input"] = std::move(input);
  if (answer) result["output"] = std::move(output);
  return result;
}

}  // namespace warden::policy
