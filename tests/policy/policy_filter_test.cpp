// filter_input, bindings / PolicySet and the dry run's report.
#include <catch2/catch.hpp>

#include "core/yaml.h"
#include "policy/policy.h"
#include "test_support.h"

using warden::core::Json;
using namespace warden::policy;

namespace {

std::shared_ptr<const CompiledPolicy> compile_yaml(const std::string& yaml, const std::string& name = "p",
                                                   int64_t version = 1) {
  return CompiledPolicy::compile(warden::core::parse_yaml(yaml), {name, version});
}

PolicyRequest user_request(const std::string& text) {
  PolicyRequest r;
  r.model = "m";
  r.messages = {{"user", text, ""}};
  return r;
}

const RuleVerdict* verdict(const std::vector<RuleVerdict>& vs, const std::string& id) {
  for (const auto& v : vs) {
    if (v.rule == id) return &v;
  }
  return nullptr;
}

const char* kPolicy = R"(
redaction:
  default_action: mask
  entities:
    EMAIL_ADDRESS: {action: pseudonymize}
    AWS_ACCESS_KEY: {action: block}
    URL: {action: allow}
guardrails:
  input:
    - {id: watch, kind: deny_topics, action: flag, phrases: [budget]}
    - {id: codename, kind: deny_topics, action: redact, phrases: [bluebird]}
    - {id: stop-it, kind: deny_topics, action: block, phrases: [forbidden]}
    - {id: after, kind: deny_topics, action: flag, phrases: [later]}
    - {id: cap, kind: max_output_tokens, limit: 64}
)";

}  // namespace

TEST_CASE("filter_input: every rule is reported in document order, evaluated or not", "[policy][filter]") {
  auto policy = compile_yaml(kPolicy);
  RedactionSession session(policy->redactor());
  InputResult r = filter_input(*policy, session, user_request("budget is forbidden, later"));
  CHECK(r.decision == Decision::kBlocked);
  CHECK(r.block_rule == "stop-it");
  CHECK(r.block_message == "This request was blocked by policy rule 'stop-it'.");
  REQUIRE(r.verdicts.size() == 5);
  CHECK(r.verdicts[0].rule == "watch");
  CHECK(r.verdicts[0].fired);
  CHECK(r.verdicts[0].where == "messages[0].content");
  CHECK(r.verdicts[0].detail == "matched \"budget\" at messages[0].content[0:6]");
  CHECK_FALSE(r.verdicts[1].fired);
  CHECK(r.verdicts[2].fired);
  CHECK(r.verdicts[2].action == RuleAction::kBlock);
  CHECK_FALSE(r.verdicts[3].fired);
  CHECK(r.verdicts[3].detail == "not evaluated: the request was already blocked by rule 'stop-it'");
  CHECK_FALSE(r.verdicts[4].fired);
  CHECK(r.verdicts[4].kind == "max_output_tokens");
  CHECK(r.verdicts[4].action == RuleAction::kNone);
  // The caller's message names the rule, never the text.
  CHECK(r.block_message.find("forbidden") == std::string::npos);
}

TEST_CASE("filter_input: rule redactions, then PII redaction of every text with one vault", "[policy][filter]") {
  auto policy = compile_yaml(kPolicy);
  RedactionSession session(policy->redactor());
  PolicyRequest req;
  req.model = "m";
  req.messages = {{"system", "Reply to ann@example.com only.", ""},
                  {"user", "Ask ann@example.com about Bluebird and the budget.", ""}};
  req.stop = {"ann@example.com"};
  req.user = "ann@example.com";
  req.max_tokens = 1000;
  InputResult r = filter_input(*policy, session, req);
  CHECK(r.decision == Decision::kRedacted);  // redacted beats flagged
  REQUIRE(r.request.messages.size() == 2);
  CHECK(r.request.messages[0].content == "Reply to <EMAIL_ADDRESS_1> only.");
  CHECK(r.request.messages[1].content == "Ask <EMAIL_ADDRESS_1> about [REDACTED:codename] and the budget.");
  CHECK(r.request.stop == std::vector<std::string>{"<EMAIL_ADDRESS_1>"});
  CHECK(r.request.user == "<EMAIL_ADDRESS_1>");
  CHECK(r.request.max_tokens == 64);
  CHECK(verdict(r.verdicts, "cap")->fired);
  CHECK(verdict(r.verdicts, "watch")->fired);
  CHECK(r.entity_counts.at("EMAIL_ADDRESS") == 4);
  REQUIRE(r.spans.size() == 4);
  CHECK(r.spans[0].where == "messages[0].content");
  CHECK(r.spans[1].where == "messages[1].content");
  CHECK(r.spans[2].where == "stop[0]");
  CHECK(r.spans[3].where == "user");
  // Offsets refer to the text as the redaction saw it.
  CHECK(r.spans[1].span.start == 4);
  CHECK(r.spans[1].span.end == 4 + std::string("ann@example.com").size());
  // The vault restores what the model echoes.
  CHECK(session.restore("Hi <EMAIL_ADDRESS_1>") == "Hi ann@example.com");
}

TEST_CASE("filter_input: a blocked entity type refuses the request, naming the type only", "[policy][filter]") {
  auto policy = compile_yaml(kPolicy);
  RedactionSession session(policy->redactor());
  InputResult r = filter_input(*policy, session, user_request("key AKIAIOSFODNN7EXAMPLE and the budget"));
  CHECK(r.decision == Decision::kBlocked);
  CHECK(r.block_rule == "redaction");
  CHECK(r.blocked_types == std::vector<std::string>{"AWS_ACCESS_KEY"});
  CHECK(r.block_message.find("AWS_ACCESS_KEY") != std::string::npos);
  CHECK(r.block_message.find("AKIA") == std::string::npos);
  CHECK(r.entity_counts.at("AWS_ACCESS_KEY") == 1);
  // The limits after the redaction are not evaluated.
  CHECK(verdict(r.verdicts, "cap")->detail == "not evaluated: the request was already blocked by the redaction policy");
}

TEST_CASE("filter_input: limits count what the model gets", "[policy][filter]") {
  auto policy = compile_yaml(R"(
redaction: {default_action: mask}
guardrails:
  input:
    - {id: tokens, kind: max_input_tokens, limit: 1000}
    - {id: house, kind: system_prompt, text: Be brief.}
)");
  RedactionSession session(policy->redactor());
  std::vector<PolicyRequest> seen;
  TokenCounter counter = [&](const PolicyRequest& r) {
    seen.push_back(r);
    return int64_t{7};
  };
  InputResult r = filter_input(*policy, session, user_request("mail x@example.com"), counter);
  CHECK(r.decision == Decision::kRedacted);
  REQUIRE(seen.size() == 1);
  REQUIRE(seen[0].messages.size() == 2);
  CHECK(seen[0].messages[0].content == "Be brief.");
  CHECK(seen[0].messages[1].content == "mail <EMAIL_ADDRESS>");
  CHECK(verdict(r.verdicts, "tokens")->detail == "7 prompt tokens <= limit 1000");
  CHECK(verdict(r.verdicts, "house")->fired);
  CHECK(verdict(r.verdicts, "house")->action == RuleAction::kNone);
}

TEST_CASE("filter_input: a counter that throws fails the request closed", "[policy][filter]") {
  auto policy = compile_yaml("guardrails: {input: [{id: t, kind: max_input_tokens, limit: 5}]}");
  RedactionSession session(policy->redactor());
  TokenCounter broken = [](const PolicyRequest&) -> int64_t { throw std::runtime_error("tokenizer gone"); };
  CHECK_THROWS_AS(filter_input(*policy, session, user_request("hi"), broken), std::runtime_error);
}

TEST_CASE("bindings: the most specific binding wins, ties by name, fallback otherwise", "[policy][bindings]") {
  auto by_key = compile_yaml("bindings: {keys: [key-1]}", "z-key");
  auto by_team = compile_yaml("bindings: {teams: [research, sales]}", "y-team");
  auto by_role = compile_yaml("bindings: {roles: [admin]}", "x-role");
  auto def_b = compile_yaml("bindings: {default: true}", "b-default");
  auto def_a = compile_yaml("bindings: {default: true}", "a-default");
  auto none = compile_yaml("description: binds nothing", "unbound");
  auto fallback = compile_yaml("description: fallback", "fallback");

  CHECK(by_key->binding_rank({"key-1", "research", "admin"}) == 4);
  CHECK(by_team->binding_rank({"key-1", "research", "admin"}) == 3);
  CHECK(by_role->binding_rank({"key-1", "research", "admin"}) == 2);
  CHECK(def_a->binding_rank({"key-1", "research", "admin"}) == 1);
  CHECK(none->binding_rank({"key-1", "research", "admin"}) == 0);
  CHECK(by_team->binding_rank({"k", "", "user"}) == 0);  // an empty team matches nothing

  PolicySet set({none, def_b, by_role, by_team, def_a, by_key, nullptr}, fallback);
  CHECK(set.active().size() == 6);
  CHECK(set.select({"key-1", "research", "admin"})->identity().name == "z-key");
  CHECK(set.select({"key-2", "sales", "admin"})->identity().name == "y-team");
  CHECK(set.select({"key-2", "ops", "admin"})->identity().name == "x-role");
  CHECK(set.select({"key-2", "ops", "user"})->identity().name == "a-default");

  PolicySet no_default({none, by_key}, fallback);
  CHECK(no_default.select({"key-9", "ops", "user"})->identity().name == "fallback");
  PolicySet nothing({none}, nullptr);
  CHECK(nothing.select({"key-9", "ops", "user"}) == nullptr);
}

TEST_CASE("dry_run: spans, verdicts with matches, redacted messages, decision and output", "[policy][dry_run]") {
  auto policy = compile_yaml(R"(
redaction:
  default_action: mask
  entities: {EMAIL_ADDRESS: pseudonymize}
guardrails:
  input:
    - {id: codename, kind: deny_topics, action: redact, phrases: [bluebird]}
  output:
    - {id: no-launch, kind: deny_topics, action: block, phrases: [launch date]}
)",
                             "guarded", 7);
  Json sample = Json::parse(R"({"model": "m", "messages": [{"role": "user", "content": "Tell bo@example.com about Bluebird"}],
                               "answer": "Sure, <EMAIL_ADDRESS_1>: the launch date is May."})");
  Json r = dry_run(*policy, sample);
  INFO(r.dump(2));
  CHECK(r.at("policy").at("name").as_string() == "guarded");
  CHECK(r.at("policy").at("version").as_int() == 7);
  CHECK(r.at("decision").as_string() == "blocked");
  const Json& in = r.at("input");
  CHECK(in.at("decision").as_string() == "redacted");
  CHECK(in.at("request").at("messages")[0].at("content").as_string() == "Tell <EMAIL_ADDRESS_1> about [REDACTED:codename]");
  const Json& v = in.at("verdicts")[0];
  CHECK(v.at("rule").as_string() == "codename");
  CHECK(v.at("fired").as_bool());
  CHECK(v.at("matches")[0].at("where").as_string() == "messages[0].content");
  CHECK(v.at("matches")[0].at("start").as_int() == 26);
  CHECK(v.at("matches")[0].at("end").as_int() == 34);
  CHECK(v.at("matches")[0].at("text").as_string() == "Bluebird");
  CHECK(in.at("spans")[0].at("type").as_string() == "EMAIL_ADDRESS");
  CHECK(in.at("spans")[0].at("where").as_string() == "messages[0].content");
  CHECK(in.at("block").is_null());
  const Json& out = r.at("output");
  CHECK(out.at("text").as_string() == "Sure, bo@example.com: the ");
  CHECK(out.at("finish_reason").as_string() == "content_filter");
  CHECK(out.at("stop_rule").as_string() == "no-launch");
  CHECK(out.at("verdicts")[0].at("matches")[0].at("where").as_string() == "output");

  // Without an answer there is no output section; a blocked input skips it.
  sample.as_object().pop_back();
  CHECK_FALSE(dry_run(*policy, sample).contains("output"));
  auto blocking = compile_yaml("guardrails: {input: [{id: b, kind: deny_topics, phrases: [x]}]}");
  Json blocked = dry_run(*blocking, Json::parse(R"({"messages": [{"role": "user", "content": "x"}], "answer": "y"})"));
  CHECK(blocked.at("input").at("block").at("rule").as_string() == "b");
  CHECK(blocked.at("output").contains("skipped"));
}

TEST_CASE("dry_run: a malformed sample is refused naming every field", "[policy][dry_run]") {
  auto policy = compile_yaml("description: x");
  try {
    dry_run(*policy, Json::parse(R"({"messages": [{"role": "wizard", "content": 3, "x": 1}], "stop": 5,
                                    "max_tokens": 0, "temperature": 1})"));
    FAIL("expected PolicyError");
  } catch (const PolicyError& e) {
    const auto& p = e.problems();
    auto has = [&](const std::string& s) { return std::find(p.begin(), p.end(), s) != p.end(); };
    CHECK(has("sample.temperature: unknown key (expected one of model, messages, stop, user, max_tokens, tools, answer, answer_tool_calls)"));
    CHECK(has("sample.messages[0].x: unknown key (expected one of role, content, name, tool_calls, tool_call_id)"));
    CHECK(has("sample.messages[0].role: unknown role \"wizard\" (expected system, developer, user, assistant, tool)"));
    CHECK(has("sample.messages[0].content: expected a string or a list of text parts, got integer"));
    CHECK(has("sample.stop: expected a string or a list of strings, got integer"));
    CHECK(has("sample.max_tokens: expected an integer from 1 to 16777216"));
  }
  CHECK_THROWS_AS(dry_run(*policy, Json::parse("{}")), PolicyError);
  // Content parts are joined like the gateway does.
  Json r = dry_run(*policy, Json::parse(R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"},
                                                                                      {"type": "text", "text": "b"}]}]})"));
  CHECK(r.at("input").at("request").at("messages")[0].at("content").as_string() == "ab");
}

TEST_CASE("filter_input: the gateway's test policy behaves as the chain expects", "[policy][filter]") {
  auto policy = CompiledPolicy::compile(
      warden::core::load_document_file(std::string(WARDEN_SOURCE_DIR) + "/tests/policy/data/guarded_test_policy.yaml"),
      {"p", 1});
  RedactionSession s1(policy->redactor());
  auto salary = filter_input(*policy, s1, user_request("what is the CEO's Salary?"));
  CHECK(salary.decision == Decision::kBlocked);
  CHECK(salary.block_message == "Salary questions go to HR.");
  RedactionSession s2(policy->redactor());
  CHECK(filter_input(*policy, s2, user_request("status of Bluebird please")).decision == Decision::kFlagged);
  RedactionSession s3(policy->redactor());
  auto in = filter_input(*policy, s3, user_request("Please email jane.doe@example.com today"));
  CHECK(in.request.messages[0].content == "Please email <EMAIL_ADDRESS_1> today");
  OutputFilter out(*policy, s3);
  std::string text;
  for (const char* piece : {"Please email <EMAIL_", "ADDRESS_1> today; the laun", "ch date is soon"}) text += out.feed(piece);
  text += out.finish();
  CHECK(text == "Please email jane.doe@example.com today; the ");
  CHECK(out.stopped());
  CHECK(out.stop_rule() == "no-launch-dates");
  CHECK(out.decision() == Decision::kBlocked);
}
