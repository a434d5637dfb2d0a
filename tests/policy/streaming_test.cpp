// The streaming output scanner must produce exactly what the one-shot scan produces, for
// any chunking. Deterministic randomized property test over a few thousand cases.
#include <catch2/catch.hpp>

#include <random>

#include "policy/output_scanner.h"
#include "test_support.h"

using namespace warden::policy;

namespace {

const char* kFragments[] = {
    "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111112", "john@example.com",
    "jane.doe@firma.de", "+44 20 7946 0958", "(212) 555-0147", "212-555-0147 ext. 42",
    "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "078-05-1121", "192.168.1.20",
    "2001:db8::1", "https://admin:pw12345@db.internal/x", "www.example.org/a?b=1",
    "AKIAIOSFODNN7EXAMPLE", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "password=Hunter2xyz",
    "api_key: a8Fk29dLq0Zx7Bn3Vc5Mw1Er6Ty4Ui2O", "Mr. John Smith", "Dear Anna Müller,",
    "Name: Jane Doe", "Date of birth: 12/03/1985", "221B Baker Street", "Hauptstraße 5",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "<PERSON_1>", "<EMAIL_ADDRESS_1>", "<PERSON_9>",
    "<PERSON_", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBk", "version 1.2.3.4", "2024-03-15 10:23:45",
    "The quick brown fox jumps over the lazy dog. ", "token is refreshed hourly", "Hi Team, ",
    "café ", "\xE2\x82\xAC", "\xFF", "\xC3", " ", "\n", ", ", ". ", "0", "7", "@", ":", "-",
};

std::string random_text(std::mt19937& rng) {
  std::string s;
  const int parts = 1 + static_cast<int>(rng() % 14);
  for (int i = 0; i < parts; ++i) s += kFragments[rng() % (sizeof(kFragments) / sizeof(kFragments[0]))];
  return s;
}

std::string stream(RedactionSession& session, const std::string& text, std::mt19937& rng, size_t max_chunk) {
  auto scanner = session.output_scanner();
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t len = 1 + rng() % max_chunk;
    out += scanner->feed(std::string_view(text).substr(pos, len));
    pos += len;
  }
  out += scanner->finish();
  return out;
}

}  // namespace

TEST_CASE("streaming: output over any chunking equals the one-shot output", "[policy][streaming]") {
  auto redactor = testing::default_redactor();
  std::mt19937 rng(1234);
  const std::string prompt = "I am Mr. John Smith, mail john@example.com";
  for (int i = 0; i < 3000; ++i) {
    const std::string text = random_text(rng);
    RedactionSession one_shot(redactor), streamed(redactor);
    one_shot.redact(prompt);
    streamed.redact(prompt);
    const RedactionResult expected = one_shot.scan_output(text);
    const std::string got = stream(streamed, text, rng, 1 + i % 17);
    INFO("case " << i << ": " << text);
    REQUIRE(got == expected.text);
  }
}

TEST_CASE("streaming: a card number split across chunks is caught", "[policy][streaming]") {
  auto redactor = testing::default_redactor();
  RedactionSession session(redactor);
  auto scanner = session.output_scanner();
  std::string out;
  for (const char* chunk : {"Your card 41", "11 1111 11", "11 1111 is", " on file."}) out += scanner->feed(chunk);
  out += scanner->finish();
  CHECK(out == "Your card ***************1111 is on file.");
  REQUIRE(scanner->spans().size() == 1);
  CHECK(scanner->spans()[0].start == 10);
}

TEST_CASE("streaming: placeholders split across chunks are restored", "[policy][streaming]") {
  auto redactor = testing::default_redactor();
  RedactionSession session(redactor);
  session.redact("Mr. John Smith");
  auto scanner = session.output_scanner();
  std::string out = scanner->feed("Hello <PER");
  CHECK(out == "Hello ");
  out += scanner->feed("SON_1>, bye");
  out += scanner->finish();
  CHECK(out == "Hello John Smith, bye");
}

TEST_CASE("streaming: prose flows with little hold-back", "[policy][streaming]") {
  auto redactor = testing::default_redactor();
  RedactionSession session(redactor);
  auto scanner = session.output_scanner();
  const std::string prose = "The meeting was moved to Thursday because several people were travelling this week. ";
  size_t emitted = 0;
  for (int round = 0; round < 20; ++round) {
    for (size_t i = 0; i < prose.size(); i += 3) emitted += scanner->feed(prose.substr(i, 3)).size();
    CHECK(scanner->held_bytes() <= 12);  // at most the word in progress
  }
  emitted += scanner->finish().size();
  CHECK(emitted == prose.size() * 20);
}

TEST_CASE("streaming: a blocked secret ends the stream", "[policy][streaming]") {
  auto redactor = testing::default_redactor();
  RedactionSession session(redactor);
  auto scanner = session.output_scanner();
  std::string out = scanner->feed("Here: AKIAIOSF");
  out += scanner->feed("ODNN7EXAMPLE and more text");
  out += scanner->feed(" that never shows");
  out += scanner->finish();
  CHECK(scanner->blocked());
  CHECK(scanner->blocked_types() == std::vector<std::string>{"AWS_ACCESS_KEY"});
  CHECK(out == "Here: ");
}
