// OutputFilter: the streamed answer gives the same result for any chunking as one feed
// (text, stop point and rule, verdicts, spans, decision), holds back only what a pending
// match needs, and stops emitting at a block.
#include <catch2/catch.hpp>

#include <random>

#include "core/yaml.h"
#include "policy/policy.h"

using warden::core::Json;
using namespace warden::policy;

namespace {

const char* kStreamPolicy = R"(
redaction:
  default_action: mask
  entities:
    EMAIL_ADDRESS: {action: pseudonymize}
    URL: {action: allow}
    CREDIT_CARD: {action: allow}
guardrails:
  output:
    - {id: ok-example, kind: regex, mode: allow, pattern: 'EXAMPLE-[0-9]+ launch date', max_len: 40}
    - {id: no-launch, kind: deny_topics, action: block, phrases: [launch date, acquisition target], exceptions: [launch date tbd]}
    - {id: codename, kind: deny_topics, action: redact, phrases: [nightjar, blue bird, 工资]}
    - {id: keys, kind: regex, action: redact, pattern: 'sk-[a-z0-9]{8,16}', max_len: 24}
    - {id: watch, kind: regex, action: flag, pattern: '(?i)\bsecret\b', max_len: 16}
    - {id: cards, kind: pii_leak, types: [CREDIT_CARD]}
)";

struct Outcome {
  std::string text;
  bool stopped = false;
  std::string stop_rule;
  std::string decision;
  std::vector<std::string> verdicts;  // "rule fired detail"
  std::vector<std::string> spans;     // "start-end TYPE"
  std::map<std::string, int64_t> counts;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "text=" << Json(o.text).dump() << " stopped=" << o.stopped << " rule=" << o.stop_rule << " decision=" << o.decision;
  for (const auto& v : o.verdicts) os << "\n  verdict " << v;
  for (const auto& s : o.spans) os << "\n  span " << s;
  return os;
}

Outcome run(const CompiledPolicy& policy, const std::string& answer, const std::vector<size_t>& cuts) {
  RedactionSession session(policy.redactor());
  PolicyRequest req;
  req.model = "m";
  req.messages = {{"user", "please write to bob@example.com", ""}};
  filter_input(policy, session, req);  // issues <EMAIL_ADDRESS_1>
  OutputFilter filter(policy, session);
  Outcome o;
  size_t pos = 0;
  for (size_t cut : cuts) {
    o.text += filter.feed(std::string_view(answer).substr(pos, cut - pos));
    pos = cut;
  }
  o.text += filter.feed(std::string_view(answer).substr(pos));
  o.text += filter.finish();
  o.stopped = filter.stopped();
  o.stop_rule = filter.stop_rule();
  o.decision = std::string(decision_name(filter.decision()));
  for (const auto& v : filter.verdicts()) o.verdicts.push_back(v.rule + " " + std::to_string(v.fired) + " " + v.detail);
  for (const auto& s : filter.spans()) o.spans.push_back(std::to_string(s.start) + "-" + std::to_string(s.end) + " " + s.type);
  o.counts = filter.entity_counts();
  return o;
}

const std::vector<std::string> kFragments = {
    "hello ", "the ", "plan is ", "ready. ", "We ", "launch ", "date ", "soon ", "\n", "  ", ", ", "é", "工", "资",
    "launch date", "Launch  Date", "launch date tbd", "EXAMPLE-12 launch date", "nightjar", "Nightjars", "blue  bird",
    "sk-abc12345xyz", "sk-", "secret", "secrets", "<EMAIL_ADDRESS_1>", "<EMAIL_ADDR", "carol@example.org",
    "4111 1111 1111 1111", "acquisition target", "acquisition", "\xe2\x80\x8b", "blue", " bird", "工资", "ok"};

std::string random_answer(std::mt19937& rng) {
  const size_t n = 3 + rng() % 30;
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    // Mostly harmless words so that blocks happen late as often as early.
    const size_t k = rng() % 100 < 60 ? rng() % 14 : rng() % kFragments.size();
    s += kFragments[k];
  }
  return s;
}

std::vector<size_t> random_cuts(std::mt19937& rng, size_t size) {
  std::vector<size_t> cuts;
  const size_t max_piece = 1 + rng() % 12;
  for (size_t pos = 1 + rng() % max_piece; pos < size; pos += 1 + rng() % max_piece) cuts.push_back(pos);
  return cuts;
}

}  // namespace

TEST_CASE("output filter: any chunking gives what one feed gives", "[policy][output]") {
  auto policy = CompiledPolicy::compile(warden::core::parse_yaml(kStreamPolicy), {"stream", 1});
  std::mt19937 rng(7);
  size_t stopped = 0, redacted = 0;
  for (int iteration = 0; iteration < 400; ++iteration) {
    const std::string answer = random_answer(rng);
    const Outcome whole = run(*policy, answer, {});
    stopped += whole.stopped;
    redacted += whole.decision == "redacted";
    std::vector<std::vector<size_t>> chunkings = {random_cuts(rng, answer.size()), random_cuts(rng, answer.size())};
    std::vector<size_t> bytewise;
    for (size_t i = 1; i < answer.size(); ++i) bytewise.push_back(i);
    if (iteration % 4 == 0) chunkings.push_back(bytewise);
    for (const auto& cuts : chunkings) {
      const Outcome chunked = run(*policy, answer, cuts);
      INFO("answer: " << Json(answer).dump());
      REQUIRE(chunked == whole);
    }
  }
  // The generated answers exercise both stops and redactions.
  CHECK(stopped > 50);
  CHECK(redacted > 20);
}

TEST_CASE("output filter: a block sends the text before the match and nothing after", "[policy][output]") {
  // Phrases only: the block happens as soon as the phrase and the character after it
  // have arrived.
  auto phrases = CompiledPolicy::compile(warden::core::parse_yaml(R"(
redaction: {default_action: allow}
guardrails:
  output:
    - {id: ok, kind: deny_topics, action: flag, phrases: [monday]}
    - {id: no-launch, kind: deny_topics, action: block, phrases: [launch date]}
    - {id: codename, kind: deny_topics, action: redact, phrases: [nightjar]}
)"),
                                         {"phrases", 1});
  RedactionSession session(phrases->redactor());
  OutputFilter filter(*phrases, session);
  std::string sent = filter.feed("We will annou");
  sent += filter.feed("nce the launch ");
  CHECK_FALSE(filter.stopped());
  sent += filter.feed("date on Monday, and more.");
  CHECK(filter.stopped());
  CHECK(filter.stop_rule() == "no-launch");
  CHECK(sent == "We will announce the ");
  CHECK(filter.feed(" anything else").empty());
  CHECK(filter.finish().empty());
  CHECK(filter.decision() == Decision::kBlocked);
  const auto verdicts = filter.verdicts();
  CHECK(verdicts[1].fired);
  CHECK(verdicts[1].detail == "matched \"launch date\" at output[21:32]");
  CHECK(verdicts[2].detail == "no match before the answer was stopped");
  CHECK_FALSE(verdicts[0].fired);  // "Monday" comes after the stop point

  // With regex rules the hold-back is longer: the same answer stops at finish().
  auto policy = CompiledPolicy::compile(warden::core::parse_yaml(kStreamPolicy), {"stream", 1});
  RedactionSession s1(policy->redactor());
  OutputFilter held(*policy, s1);
  std::string late = held.feed("We will announce the launch date on Monday.");
  CHECK_FALSE(held.stopped());
  late += held.finish();
  CHECK(late == "We will announce the ");
  CHECK(held.stop_rule() == "no-launch");

  // Across the pii_leak gate: the card number never reaches the caller.
  RedactionSession s2(policy->redactor());
  OutputFilter leak(*policy, s2);
  std::string out = leak.feed("card: 4111 1111 ");
  out += leak.feed("1111 1111 thanks");
  out += leak.finish();
  CHECK(out == "card: ");
  CHECK(leak.stop_rule() == "cards");
}

TEST_CASE("output filter: hold-back is bounded by the rules", "[policy][output]") {
  const std::string prose =
      "the quarterly review covers revenue hiring and the roadmap for the next two releases please send the "
      "updated figures to the finance team before thursday noon our customers asked for better offline support ";
  auto held_max = [&](const std::string& yaml) {
    auto policy = CompiledPolicy::compile(warden::core::parse_yaml(yaml), {"hold", 1});
    RedactionSession session(policy->redactor());
    OutputFilter filter(*policy, session);
    size_t fed = 0, sent = 0, worst = 0;
    for (int round = 0; round < 4; ++round) {
      for (size_t i = 0; i < prose.size(); i += 3) {
        const auto piece = std::string_view(prose).substr(i, 3);
        fed += piece.size();
        sent += filter.feed(piece).size();
        worst = std::max(worst, fed - sent);
      }
    }
    sent += filter.finish().size();
    CHECK(sent == fed);
    return worst;
  };
  // No output rules, nothing to detect: every byte flows at once.
  CHECK(held_max("redaction: {default_action: allow}") == 0);
  // Phrases: at most a phrase prefix in progress plus the next character.
  const size_t phrases = held_max(R"(
redaction: {default_action: allow}
guardrails: {output: [{id: p, kind: deny_topics, phrases: [acquisition target, the roadmap for q4]}]})");
  CHECK(phrases <= std::string("the roadmap for q4").size() + 4);
  CHECK(phrases > 0);
  // A regex: at most max_len + step + 4 bytes (windowed_regex.h), step = max(32, max_len/4).
  const size_t regex = held_max(R"(
redaction: {default_action: allow}
guardrails: {output: [{id: r, kind: regex, pattern: 'sk-[a-z0-9]{8,16}', max_len: 24}]})");
  CHECK(regex <= 24 + 32 + 4);
}
