// Policy document validation: a bad document is rejected as a whole with every problem
// listed as "path: reason".
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/yaml.h"
#include "policy/policy.h"
#include "test_support.h"

using warden::core::Json;
using namespace warden::policy;

namespace {

std::vector<std::string> problems_of(const std::string& yaml) {
  try {
    CompiledPolicy::compile(warden::core::parse_yaml(yaml), {"test", 0});
  } catch (const PolicyError& e) {
    return e.problems();
  }
  return {};
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

}  // namespace

TEST_CASE("validation: every problem of a bad document is listed with its path", "[policy][validation]") {
  const auto problems = problems_of(R"(
description: 42
owner: alice
bindings: {default: yes-please, teams: [ops, ""], roles: [user, root], keyz: [k1]}
redaction:
  default_action: maks
  entities: {EMAIL: mask}
guardrails:
  input:
    - {kind: deny_topics, phrases: [salary]}
    - {id: "bad id!", kind: deny_topics, phrases: [a, 7], exceptions: [a, zebra crossing]}
    - {id: r1, kind: nonsense}
    - {id: r2, kind: regex, pattern: "(abc"}
    - {id: r3, kind: regex, pattern: "x*"}
    - {id: r4, kind: pii_leak, types: [EMAIL_ADDRESS]}
    - {id: m1, kind: max_messages, limit: 5}
    - {id: m2, kind: max_messages, limit: 2.5}
    - {id: m3, kind: max_messages, limit: 7}
    - {id: models, kind: allowed_models, models: []}
    - {id: f1, kind: deny_topics, action: flag, message: hello, phrases: [x]}
    - {id: f2, kind: deny_topics, phrases: [y], colour: red}
    - {id: inj, kind: injection, checks: [ignore_instructions, telepathy], threshold: 0, roles: [user, robot]}
    - {id: cap, kind: max_output_tokens, limit: 10, action: block}
    - {id: sys, kind: system_prompt}
    - {id: allow, kind: regex, mode: allow, pattern: ok, action: block}
    - {id: scope, kind: regex, pattern: z, scope: match}
  output:
    - {id: r1, kind: deny_topics, phrases: [dup]}
    - {id: inj2, kind: injection}
    - {id: leak, kind: pii_leak, types: [CREDIT_CARD, NOT_A_TYPE]}
    - {id: leak2, kind: pii_leak, types: [CREDIT_CARD]}
    - {id: out-msg, kind: deny_topics, phrases: [q], message: nope}
    - {id: out-scope, kind: regex, mode: allow, scope: text, pattern: w}
)");
  INFO(joined(problems));
  const std::vector<std::string> expected = {
      "owner: unknown key (expected one of description, bindings, redaction, guardrails)",
      "description: expected a string, got integer",
      "bindings.keyz: unknown key (expected one of default, teams, roles, keys)",
      "bindings.default: expected true or false, got string",
      "bindings.teams[1]: must not be empty",
      "bindings.roles: unknown role \"root\" (expected user, admin, auditor)",
      "redaction.default_action: unknown action \"maks\" (expected mask, pseudonymize, hash, block, allow)",
      "redaction.entities.EMAIL: unknown entity type (not builtin and not declared under redaction.custom)",
      "guardrails.input[0].id: required",
      "guardrails.input[1].id: \"bad id!\" is not a valid rule id (1-64 of A-Z a-z 0-9 _ . -)",
      "guardrails.input[1].phrases[1]: must be a string, got integer",
      "guardrails.input[1].exceptions[0]: \"a\" is also listed in phrases (guardrails.input[1].phrases[0])",
      "guardrails.input[1].exceptions[1]: \"zebra crossing\" contains none of the rule's phrases, so it can never apply",
      "guardrails.input[2].kind: unknown kind \"nonsense\" (expected deny_topics, regex, injection, max_input_tokens, "
      "max_output_tokens, max_messages, allowed_models, system_prompt, pii_leak)",
      "guardrails.input[3].pattern: invalid regex: missing ): (abc",
      "guardrails.input[4].pattern: matches the empty string",
      "guardrails.input[5].kind: pii_leak is an output rule; it is not valid under guardrails.input",
      "guardrails.input[7].limit: expected an integer, got number",
      "guardrails.input[9].models: must not be empty",
      "guardrails.input[10].message: only shown when the action is block",
      "guardrails.input[11].colour: unknown key (expected one of id, kind, action, message, roles, phrases, exceptions)",
      "guardrails.input[12].checks[1]: unknown check \"telepathy\" (expected ignore_instructions, role_play_override, "
      "reveal_system_prompt, special_tokens, encoded_payload)",
      "guardrails.input[12].roles[1]: unknown role \"robot\" (expected system, developer, user, assistant, tool)",
      "guardrails.input[12].threshold: must be greater than 0 and at most 1",
      "guardrails.input[13].action: not valid for kind max_output_tokens",
      "guardrails.input[14].text: required",
      "guardrails.input[15].action: not valid for mode allow (an allow rule only exempts text)",
      "guardrails.input[16].scope: applies to mode allow only",
      "guardrails.output[1].kind: injection is an input rule; it is not valid under guardrails.output",
      "guardrails.output[2].types[1]: unknown entity type \"NOT_A_TYPE\" (not builtin and not declared under "
      "redaction.custom)",
      "guardrails.output[4].message: not shown for output rules (the answer ends with finish_reason content_filter)",
      "guardrails.output[5].scope: text is not valid for output rules (an answer is checked as it streams; use match)",
      "guardrails.input[7]: a second max_messages rule in this stage (first: guardrails.input[6])",
      "guardrails.input[8]: a second max_messages rule in this stage (first: guardrails.input[6])",
      "guardrails.output[0].id: duplicate rule id \"r1\" (also guardrails.input[2])",
      "guardrails.output[3].types: CREDIT_CARD is already watched by guardrails.output[2]",
  };
  for (const auto& p : expected) {
    INFO("expected: " << p);
    CHECK(std::find(problems.begin(), problems.end(), p) != problems.end());
  }
  CHECK(problems.size() == expected.size());
}

TEST_CASE("validation: small documents and edge cases", "[policy][validation]") {
  CHECK(problems_of("[1, 2]") == std::vector<std::string>{"policy: expected an object, got array"});
  CHECK(problems_of("guardrails: {input: {}}") ==
        std::vector<std::string>{"guardrails.input: expected a list of rules, got object"});
  CHECK(problems_of("guardrails: {inputs: []}") ==
        std::vector<std::string>{"guardrails.inputs: unknown key (expected one of input, output)"});
  CHECK(problems_of("guardrails: {input: [{id: redaction, kind: max_messages, limit: 1}]}") ==
        std::vector<std::string>{"guardrails.input[0].id: \"redaction\" is reserved (it names blocks by entity type)"});
  CHECK(problems_of("guardrails: {input: [{id: a, kind: allowed_models, models: ['gpt-*-x']}]}") ==
        std::vector<std::string>{"guardrails.input[0].models[0]: '*' is only allowed at the end (a prefix match)"});
  CHECK(problems_of("guardrails: {input: [{id: a, kind: max_input_tokens, limit: 0}]}") ==
        std::vector<std::string>{"guardrails.input[0].limit: must be between 1 and 2147483648"});
  CHECK(problems_of("guardrails: {input: [{id: a, kind: deny_topics, action: redact, phrases: [x]}, "
                    "{id: b, kind: max_messages, action: redact, limit: 3}]}") ==
        std::vector<std::string>{
            "guardrails.input[1].action: unknown action \"redact\" for kind max_messages (expected block, flag)"});
  CHECK(problems_of("guardrails: {input: [{id: a, kind: deny_topics, phrases: [\"\\u200b \"]}]}") ==
        std::vector<std::string>{"guardrails.input[0].phrases[0]: has no characters to match"});
  // A custom entity type declared under redaction.custom is a valid pii_leak type.
  CHECK(problems_of(R"(
redaction:
  custom: [{name: EMPLOYEE_ID, regex: 'EMP-\d{6}', action: mask}]
guardrails:
  output: [{id: leak, kind: pii_leak, types: [EMPLOYEE_ID, PERSON]}]
)")
            .empty());
  // Valid documents compile; what was validated is kept.
  Json doc = warden::core::parse_yaml("description: ok\nbindings: {default: true}\n");
  auto policy = CompiledPolicy::compile(doc, {"p", 3});
  CHECK(policy->document() == doc);
  CHECK(policy->identity().name == "p");
  CHECK(policy->identity().version == 3);
}

TEST_CASE("validation: the shipped default policy compiles in both forms", "[policy][validation]") {
  for (const char* path : {"policy/defaults/default.yaml", "policy/defaults/default.json"}) {
    INFO(path);
    Json doc = warden::core::load_document_file(testing::source_path(path));
    auto policy = CompiledPolicy::compile(doc, {"default", 1});
    CHECK(policy->binding_rank({"k", "t", "user"}) == 1);
    // The default policy ships guardrails on both sides.
    CHECK(doc.at("guardrails").at("input").size() >= 3);
  }
}

TEST_CASE("validation: the full example of docs/policies.md compiles and behaves as described", "[policy][validation]") {
  const std::string doc = testing::read_file(testing::source_path("docs/policies.md"));
  const size_t section = doc.find("## Full example");
  REQUIRE(section != std::string::npos);
  const size_t begin = doc.find("```yaml\n", section);
  REQUIRE(begin != std::string::npos);
  const size_t end = doc.find("```", begin + 8);
  const std::string yaml = doc.substr(begin + 8, end - begin - 8);
  auto policy = CompiledPolicy::compile(warden::core::parse_yaml(yaml), {"research", 3});
  CHECK(policy->binding_rank({"k", "research", "user"}) == 3);
  CHECK(policy->binding_rank({"k", "sales", "user"}) == 0);
  auto decide = [&](const std::string& text, const std::string& model = "deepseek-v3") {
    Json sample = Json::object();
    sample["model"] = model;
    sample["messages"] = Json::array();
    Json m = Json::object();
    m["role"] = "user";
    m["content"] = text;
    sample["messages"].push_back(std::move(m));
    return dry_run(*policy, sample);
  };
  CHECK(decide("What is Dana's salary?").at("input").at("block").at("rule").as_string() == "no-salaries");
  CHECK(decide("TICKET-4411: salary export fails").at("decision").as_string() == "allowed");
  CHECK(decide("hello", "gpt-4").at("input").at("block").at("rule").as_string() == "models");
  Json redacted = decide("EMP-123456 asked about Bluebird");
  CHECK(redacted.at("input").at("request").at("messages")[1].at("content").as_string() ==
        "[REDACTED:employee-ids] asked about <PROJECT_CODENAME_1>");
  CHECK(redacted.at("input").at("request").at("messages")[0].at("role").as_string() == "system");
}
