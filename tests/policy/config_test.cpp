#include <catch2/catch.hpp>

#include <algorithm>

#include "core/yaml.h"
#include "policy/errors.h"
#include "test_support.h"

using namespace warden::policy;
using warden::core::Json;

namespace {

std::vector<std::string> problems_of(const std::string& json) {
  try {
    RedactionConfig::from_json(Json::parse(json));
  } catch (const PolicyError& e) {
    return e.problems();
  }
  return {};
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("config: parses actions, thresholds and mask styles", "[policy][config]") {
  auto cfg = RedactionConfig::from_json(Json::parse(R"({
    "default_action": "pseudonymize", "threshold": 0.4, "restore_pseudonyms": false,
    "hash_key": "env:WARDEN_TEST_KEY",
    "entities": {"CREDIT_CARD": {"action": "mask", "mask": {"style": "chars", "char": "#", "keep_last": 4}},
                 "EMAIL_ADDRESS": "hash", "URL": {"action": "allow", "threshold": 0.9}}})"));
  CHECK(cfg.defaults.action == Action::kPseudonymize);
  CHECK(cfg.defaults.threshold == Approx(0.4));
  CHECK_FALSE(cfg.restore_pseudonyms);
  CHECK(cfg.policy_for("CREDIT_CARD").mask.style == MaskStyle::kChars);
  CHECK(cfg.policy_for("CREDIT_CARD").mask.mask_char == "#");
  CHECK(cfg.policy_for("CREDIT_CARD").mask.keep_last == 4);
  CHECK(cfg.policy_for("EMAIL_ADDRESS").action == Action::kHash);
  CHECK(cfg.policy_for("URL").threshold == Approx(0.9));
  CHECK(cfg.policy_for("PERSON").action == Action::kPseudonymize);  // default
  CHECK(cfg.hash_key == "env:WARDEN_TEST_KEY");
}

TEST_CASE("config: a bad document lists every problem with its path", "[policy][config]") {
  auto p = problems_of(R"({
    "default_action": "delete", "threshold": 2, "colour": "red",
    "mask": {"style": "stars", "keep_last": -1},
    "entities": {"EMAIL_ADDRESS": {"action": "maks"}, "EMAIL": {"action": "mask"},
                 "PHONE_NUMBER": {"action": "mask", "treshold": 0.3}},
    "custom": [{"name": "EMPLOYEE_ID", "regex": "EMP-(\\d{6}", "action": "mask"},
               {"name": "bad name", "dictionary": ["x"], "action": "mask"},
               {"name": "CODES", "dictionary": ["a"], "regex": "b", "action": "mask"},
               {"name": "NOACTION", "dictionary": ["x"]}]})");
  CHECK(has(p, R"(redaction.default_action: unknown action "delete" (expected mask, pseudonymize, hash, block, allow))"));
  CHECK(has(p, "redaction.threshold: value 2 out of range [0, 1]"));
  CHECK(has(p, "redaction.colour: unknown key (expected one of default_action, threshold, mask, restore_pseudonyms, hash_key, entities, custom)"));
  CHECK(has(p, R"(redaction.mask.style: unknown mask style "stars" (expected placeholder, chars))"));
  CHECK(has(p, "redaction.mask.keep_last: value -1 out of range [0, 64]"));
  CHECK(has(p, R"(redaction.entities.EMAIL_ADDRESS: unknown action "maks" (expected mask, pseudonymize, hash, block, allow))"));
  CHECK(has(p, "redaction.entities.EMAIL: unknown entity type (not builtin and not declared under redaction.custom)"));
  CHECK(has(p, "redaction.entities.PHONE_NUMBER.treshold: unknown key (expected one of action, threshold, mask)"));
  CHECK(has(p, "redaction.custom[0].regex: entity EMPLOYEE_ID: invalid regex: missing ): EMP-(\\d{6}"));
  CHECK(has(p, R"(redaction.custom[1].name: "bad name" is not a valid entity name (A-Z, 0-9, _; starts with a letter))"));
  CHECK(has(p, "redaction.custom[2]: entity CODES: give exactly one of regex or dictionary/dictionary_file"));
  CHECK(has(p, "redaction.custom[3].action: required for custom entity NOACTION"));
  CHECK(p.size() == 12);
  // The exception message carries them all too.
  try {
    RedactionConfig::from_json(Json::parse(R"({"entities": {"EMAIL_ADDRESS": {"action": "maks"}}})"));
    FAIL("expected PolicyError");
  } catch (const PolicyError& e) {
    CHECK(std::string(e.what()).find("redaction.entities.EMAIL_ADDRESS: unknown action \"maks\"") != std::string::npos);
  }
}

TEST_CASE("config: hash needs a key reference, never a literal key", "[policy][config]") {
  CHECK(has(problems_of(R"({"entities": {"EMAIL_ADDRESS": "hash"}})"),
            "redaction.hash_key: required because EMAIL_ADDRESS uses action hash"));
  CHECK(has(problems_of(R"({"hash_key": "0123456789abcdef0123456789abcdef"})"),
            "redaction.hash_key: expected a reference \"env:NAME\" or \"file:PATH\" (never the key itself)"));
}

TEST_CASE("config: custom regex and dictionary entities", "[policy][config]") {
  auto cfg = RedactionConfig::from_json(Json::parse(R"({
    "custom": [{"name": "EMPLOYEE_ID", "regex": "\\bEMP-\\d{6}\\b", "score": 0.9, "action": "mask"},
               {"name": "CODENAME", "dictionary": ["Bluebird", "Night Jar"], "action": "pseudonymize"},
               {"name": "PERSON", "dictionary_file": "tests/policy/data/directory.txt"}]})"),
                                        WARDEN_SOURCE_DIR);
  REQUIRE(cfg.custom.size() == 3);
  CHECK(cfg.custom[0].regex == "\\bEMP-\\d{6}\\b");
  CHECK(cfg.custom[1].terms.size() == 2);
  CHECK(cfg.custom[2].terms.size() >= 1000);
  CHECK(cfg.policy_for("CODENAME").action == Action::kPseudonymize);
  CHECK(has(problems_of(R"({"custom": [{"name": "E", "regex": "x*", "action": "mask"}]})"),
            "redaction.custom[0].regex: entity E: regex matches the empty string"));
  CHECK(has(problems_of(R"({"custom": [{"name": "PERSON", "dictionary": ["a"], "action": "mask"}]})"),
            "redaction.custom[0]: entity PERSON is builtin: set its action under redaction.entities.PERSON"));
}

TEST_CASE("config: the shipped default policy parses, YAML and JSON agree", "[policy][config]") {
  Json from_json = Json::parse(testing::read_file(testing::source_path("policy/defaults/default.json")));
  Json from_yaml = warden::core::parse_yaml(testing::read_file(testing::source_path("policy/defaults/default.yaml")));
  CHECK(from_json == from_yaml);
  auto cfg = RedactionConfig::from_policy_document(from_yaml);
  CHECK(cfg.policy_for("PRIVATE_KEY").action == Action::kBlock);
  CHECK(cfg.policy_for("URL").action == Action::kAllow);
  CHECK(cfg.policy_for("CREDIT_CARD").mask.keep_last == 4);
  CHECK_NOTHROW(Redactor::compile(cfg));
}
