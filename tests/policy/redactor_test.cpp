#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include "policy/errors.h"
#include "test_support.h"

using namespace warden::policy;
using warden::core::Json;

namespace {

std::shared_ptr<const Redactor> compile_json(const std::string& json,
                                             const HashKeyResolver& resolver = default_hash_key_resolver) {
  return Redactor::compile(RedactionConfig::from_json(Json::parse(json), WARDEN_SOURCE_DIR), resolver);
}

HashKeyResolver fixed_key(std::string key) {
  return [key](const std::string&) { return key; };
}

}  // namespace

TEST_CASE("redactor: mask styles", "[policy][redactor]") {
  auto r = compile_json(R"({"entities": {"CREDIT_CARD": {"action": "mask", "mask": {"style": "chars", "keep_last": 4}},
                                          "EMAIL_ADDRESS": "mask"}})");
  RedactionSession s(r);
  auto out = s.redact("Card 4111 1111 1111 1111 and mail a.b@example.com.");
  CHECK(out.text == "Card ***************1111 and mail <EMAIL_ADDRESS>.");
  REQUIRE(out.spans.size() == 2);
  CHECK(out.spans[0].start == 5);
  CHECK(out.spans[0].end == 24);
  CHECK(out.spans[0].type == "CREDIT_CARD");
  CHECK(out.spans[1].type == "EMAIL_ADDRESS");
  CHECK_FALSE(out.blocked());
}

TEST_CASE("redactor: pseudonyms are consistent across the messages of a session", "[policy][redactor]") {
  auto r = compile_json(R"({"default_action": "pseudonymize"})");
  RedactionSession s(r);
  auto a = s.redact("Mail john@example.com and jane@example.org");
  auto b = s.redact("Again: JOHN@example.com, then jane@example.org");
  CHECK(a.text == "Mail <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>");
  CHECK(b.text == "Again: <EMAIL_ADDRESS_1>, then <EMAIL_ADDRESS_2>");
  // Restore only what this vault issued; invented placeholders stay.
  CHECK(s.restore("Reply to <EMAIL_ADDRESS_2> and <EMAIL_ADDRESS_9>; <PERSON_1>") ==
        "Reply to jane@example.org and <EMAIL_ADDRESS_9>; <PERSON_1>");
  // Another session does not know these placeholders.
  RedactionSession other(r);
  CHECK(other.restore("<EMAIL_ADDRESS_1>") == "<EMAIL_ADDRESS_1>");
}

TEST_CASE("redactor: session is thread-safe and placeholders stay unique", "[policy][redactor]") {
  auto r = compile_json(R"({"default_action": "pseudonymize"})");
  RedactionSession s(r);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&s, t] {
      for (int i = 0; i < 50; ++i) s.redact("user" + std::to_string(i % 20) + "@example.com " + std::to_string(t));
    });
  }
  for (auto& th : threads) th.join();
  CHECK(s.vault().size() == 20);
  for (int i = 0; i < 20; ++i) {
    auto out = s.redact("user" + std::to_string(i) + "@example.com");
    CHECK(s.restore(out.text) == "user" + std::to_string(i) + "@example.com");
  }
}

TEST_CASE("redactor: keyed hash is stable per key and differs across keys", "[policy][redactor]") {
  const std::string cfg = R"({"hash_key": "env:UNUSED", "entities": {"EMAIL_ADDRESS": "hash"}})";
  auto r1 = compile_json(cfg, fixed_key("tenant-one-key-0123456789"));
  auto r2 = compile_json(cfg, fixed_key("tenant-two-key-0123456789"));
  RedactionSession a(r1), b(r1), c(r2);
  auto x = a.redact("x@example.com").text;
  CHECK(x.rfind("<EMAIL_ADDRESS#", 0) == 0);
  CHECK(x.size() == std::string("<EMAIL_ADDRESS#>").size() + 16);
  CHECK(b.redact("x@example.com").text == x);
  CHECK(c.redact("x@example.com").text != x);
  CHECK(a.redact("y@example.com").text != x);
  // The key comes from the environment by default.
  ::setenv("WARDEN_POLICY_TEST_HASH_KEY", "00112233445566778899aabbccddeeff", 1);
  CHECK_NOTHROW(compile_json(R"({"hash_key": "env:WARDEN_POLICY_TEST_HASH_KEY", "entities": {"EMAIL_ADDRESS": "hash"}})"));
  CHECK_THROWS_AS(compile_json(R"({"hash_key": "env:WARDEN_POLICY_TEST_NO_SUCH_KEY", "entities": {"EMAIL_ADDRESS": "hash"}})"),
                  PolicyError);
}

TEST_CASE("redactor: block names the types, never the values", "[policy][redactor]") {
  auto r = testing::default_redactor();
  RedactionSession s(r);
  auto out = s.redact("use AKIAIOSFODNN7EXAMPLE and ghp_16C7e42F292c6912E7710c838347Ae178B4a");
  REQUIRE(out.blocked());
  CHECK(out.blocked_types == std::vector<std::string>{"AWS_ACCESS_KEY", "GITHUB_TOKEN"});
  CHECK(out.text.find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
}

TEST_CASE("redactor: default policy on a realistic message", "[policy][redactor]") {
  auto r = testing::default_redactor();
  RedactionSession s(r);
  auto out = s.redact("Dear Mr. John Smith, call +1 212-555-0147 or see https://admin:S3cretPw@db.internal/x");
  CHECK(out.text == "Dear Mr. <PERSON_1>, call <PHONE_NUMBER_1> or see https://admin:<PASSWORD>@db.internal/x");
  CHECK(s.restore("Hi <PERSON_1>") == "Hi John Smith");
}

TEST_CASE("redactor: dictionaries match whole words, case-folded", "[policy][redactor]") {
  auto r = compile_json(R"({"default_action": "allow",
     "custom": [{"name": "CODENAME", "dictionary": ["Bluebird", "Night Jar", "ÉCLAIR"], "action": "mask"},
                {"name": "PERSON", "dictionary_file": "tests/policy/data/directory.txt"}],
     "entities": {"PERSON": "pseudonymize"}})");
  RedactionSession s(r);
  CHECK(s.redact("bluebird and NIGHT JAR and éclair, not bluebirds or night jars").text ==
        "<CODENAME> and <CODENAME> and <CODENAME>, not bluebirds or night jars");
  auto out = s.redact("ask chloé bakker or CHLOÉ BAKKER today");
  CHECK(out.text == "ask <PERSON_1> or <PERSON_2> today");
}

TEST_CASE("redactor: custom regex entities", "[policy][redactor]") {
  auto r = compile_json(R"({"default_action": "allow",
     "custom": [{"name": "EMPLOYEE_ID", "regex": "\\bEMP-\\d{6}\\b", "score": 0.9, "action": "mask"}]})");
  RedactionSession s(r);
  CHECK(s.redact("ids EMP-123456, XEMP-123456, EMP-1234567").text == "ids <EMPLOYEE_ID>, XEMP-123456, EMP-1234567");
}

TEST_CASE("redactor: thresholds and overlap priority", "[policy][redactor]") {
  auto strict = compile_json(R"({"threshold": 0.99})");
  RedactionSession s(strict);
  CHECK(s.redact("Call 212-555-0147").text == "Call 212-555-0147");
  auto r = testing::all_mask_redactor();
  // Same span detected twice: the higher-priority type wins deterministically.
  auto f = r->findings("ssn 536-22-8765");
  REQUIRE(f.size() == 1);
  CHECK(r->type_name(f[0].type) == "US_SSN");
}

TEST_CASE("redactor: invalid UTF-8 is scanned, offsets stay on character boundaries", "[policy][redactor]") {
  auto r = testing::all_mask_redactor();
  RedactionSession s(r);
  std::string text = "caf\xC3\xA9 \xFF\xFE mail x@example.com \xE2\x82 end \xC3";
  auto out = s.redact(text);
  CHECK(out.text == "caf\xC3\xA9 \xFF\xFE mail <EMAIL_ADDRESS> \xE2\x82 end \xC3");
  for (const auto& sp : out.spans) {
    CHECK(sp.end <= text.size());
    CHECK((static_cast<unsigned char>(text[sp.start]) & 0xC0) != 0x80);
  }
}

TEST_CASE("redactor: output side restores echoed pseudonyms and treats new PII", "[policy][redactor]") {
  auto r = testing::default_redactor();
  RedactionSession s(r);
  s.redact("My name is Mr. John Smith, mail john@example.com");
  auto out = s.scan_output("Hello <PERSON_1>, I wrote to <EMAIL_ADDRESS_1> and to bob@example.org; <PERSON_7> is unknown.");
  CHECK(out.text == "Hello John Smith, I wrote to john@example.com and to <EMAIL_ADDRESS_2>; <PERSON_7> is unknown.");
  // A secret in the answer ends it (content filter): text stops before the value.
  auto blocked = s.scan_output("Sure, here it is: AKIAIOSFODNN7EXAMPLE and more");
  CHECK(blocked.blocked());
  CHECK(blocked.text == "Sure, here it is: ");
}
