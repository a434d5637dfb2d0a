// Table-driven guardrail cases: every YAML file in tests/policy/data/guardrails/ holds a
// policy and cases run through dry_run() (which runs filter_input and OutputFilter, as a
// live request does). Adding a case needs no C++.
//
// File:  policy: {...}            a policy document; without `redaction`, redaction is
//                                 {default_action: allow} so detectors stay out of the way
//        cases: [...]
// Case:  name, text (one user message) or messages, model (default "test-model"), stop,
//        user, max_tokens, answer, token_count (a fixed count for max_input_tokens)
//        expect: decision, input_decision, output_decision, fired [ids], not_fired [ids],
//                block_rule, block_message (substring), blocked_types, content (last
//                message after the input stage), messages [{role, content}] (all of them),
//                max_tokens (null for none), output_text, stop_rule, spans [types]
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/yaml.h"
#include "policy/policy.h"
#include "test_support.h"

using warden::core::Json;
using namespace warden::policy;

namespace {

Json sample_of(const Json& c) {
  Json s = Json::object();
  s["model"] = c.contains("model") ? c.at("model") : Json("test-model");
  if (c.contains("text")) {
    Json m = Json::object();
    m["role"] = "user";
    m["content"] = c.at("text");
    s["messages"] = Json::array();
    s["messages"].push_back(std::move(m));
  } else {
    s["messages"] = c.at("messages");
  }
  for (const char* key : {"stop", "user", "max_tokens", "answer"}) {
    if (c.contains(key)) s[key] = c.at(key);
  }
  return s;
}

bool fired(const Json& result, const std::string& id) {
  for (const char* stage : {"input", "output"}) {
    const Json* section = result.find(stage);
    if (!section || !section->contains("verdicts")) continue;
    for (const Json& v : section->at("verdicts").as_array()) {
      if (v.at("rule").as_string() == id && v.at("fired").as_bool()) return true;
    }
  }
  return false;
}

void check_case(const std::string& file, const CompiledPolicy& policy, const Json& c) {
  const std::string name = c.contains("name") ? c.at("name").as_string() : c.dump();
  INFO(file << ": " << name);
  TokenCounter counter;
  if (const Json* n = c.find("token_count")) {
    const int64_t fixed = n->as_int();
    counter = [fixed](const PolicyRequest&) { return fixed; };
  }
  const Json result = dry_run(policy, sample_of(c), counter);
  INFO(result.dump(2));
  const Json& e = c.at("expect");
  const Json& input = result.at("input");
  if (const Json* d = e.find("decision")) CHECK(result.at("decision").as_string() == d->as_string());
  if (const Json* d = e.find("input_decision")) CHECK(input.at("decision").as_string() == d->as_string());
  if (const Json* d = e.find("output_decision")) CHECK(result.at("output").at("decision").as_string() == d->as_string());
  if (const Json* ids = e.find("fired")) {
    for (const Json& id : ids->as_array()) CHECK(fired(result, id.as_string()));
  }
  if (const Json* ids = e.find("not_fired")) {
    for (const Json& id : ids->as_array()) CHECK_FALSE(fired(result, id.as_string()));
  }
  if (const Json* b = e.find("block_rule")) CHECK(input.at("block").at("rule").as_string() == b->as_string());
  if (const Json* b = e.find("block_message")) {
    CHECK(input.at("block").at("message").as_string().find(b->as_string()) != std::string::npos);
  }
  if (const Json* t = e.find("blocked_types")) CHECK(input.at("block").at("types") == *t);
  const Json& messages = input.at("request").at("messages");
  if (const Json* content = e.find("content")) {
    CHECK(messages[messages.size() - 1].at("content").as_string() == content->as_string());
  }
  if (const Json* expected = e.find("messages")) {
    REQUIRE(messages.size() == expected->size());
    for (size_t i = 0; i < messages.size(); ++i) {
      CHECK(messages[i].at("role") == (*expected)[i].at("role"));
      CHECK(messages[i].at("content") == (*expected)[i].at("content"));
    }
  }
  if (const Json* mt = e.find("max_tokens")) CHECK(input.at("request").at("max_tokens") == *mt);
  if (const Json* text = e.find("output_text")) CHECK(result.at("output").at("text").as_string() == text->as_string());
  if (const Json* rule = e.find("stop_rule")) CHECK(result.at("output").at("stop_rule") == *rule);
  if (const Json* types = e.find("spans")) {
    Json got = Json::array();
    for (const Json& s : input.at("spans").as_array()) got.push_back(s.at("type"));
    CHECK(got == *types);
  }
}

}  // namespace

TEST_CASE("guardrails: table-driven cases for every rule kind", "[policy][guardrails]") {
  const std::filesystem::path dir = testing::source_path("tests/policy/data/guardrails");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 8);
  size_t cases = 0;
  for (const auto& path : files) {
    const Json file = warden::core::load_document_file(path.string());
    Json document = file.at("policy");
    if (!document.contains("redaction")) document["redaction"] = Json::parse(R"({"default_action": "allow"})");
    std::shared_ptr<const CompiledPolicy> policy;
    try {
      policy = CompiledPolicy::compile(document, {path.stem().string(), 1});
    } catch (const PolicyError& e) {
      FAIL(path.filename().string() << ": " << e.what());
    }
    for (const Json& c : file.at("cases").as_array()) {
      check_case(path.filename().string(), *policy, c);
      ++cases;
    }
  }
  CHECK(cases >= 80);
}
