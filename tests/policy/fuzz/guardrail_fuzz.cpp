// libFuzzer target for the guardrails: the input stage and the injection heuristics on
// arbitrary bytes (no crash, offsets inside the text), and the output stage's property
// (a chunking derived from the input gives exactly what one feed gives).
//   FUZZ_TARGET=guardrail tests/policy/fuzz/run.sh SECONDS
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/json.h"
#include "policy/injection.h"
#include "policy/policy.h"

using namespace warden::policy;

namespace {

const char* kPolicy = R"({
  "redaction": {"default_action": "mask", "entities": {"EMAIL_ADDRESS": {"action": "pseudonymize"},
                                                        "CREDIT_CARD": {"action": "allow"}}},
  "guardrails": {
    "input": [
      {"id": "ok", "kind": "regex", "mode": "allow", "scope": "match", "pattern": "TICKET-[0-9]{4}"},
      {"id": "topics", "kind": "deny_topics", "action": "redact", "phrases": ["salary", "pay slip", "工资", "ab"],
       "exceptions": ["salary band"]},
      {"id": "re", "kind": "regex", "action": "flag", "pattern": "(?i)drop\\s+table", "max_len": 20},
      {"id": "inj", "kind": "injection", "action": "redact", "roles": ["user"]},
      {"id": "cap", "kind": "max_output_tokens", "limit": 10}
    ],
    "output": [
      {"id": "ok-out", "kind": "regex", "mode": "allow", "pattern": "X-[0-9]+ launch date", "max_len": 30},
      {"id": "launch", "kind": "deny_topics", "action": "block", "phrases": ["launch date", "b a"], "exceptions": ["launch date tbd"]},
      {"id": "code", "kind": "deny_topics", "action": "redact", "phrases": ["nightjar", "ab", "工"]},
      {"id": "keys", "kind": "regex", "action": "redact", "pattern": "sk-[a-z0-9]{4,12}", "max_len": 16},
      {"id": "any-a", "kind": "regex", "action": "flag", "pattern": "a+", "max_len": 8},
      {"id": "cards", "kind": "pii_leak", "types": ["CREDIT_CARD"]}
    ]
  }
})";

struct Outcome {
  std::string text;
  bool stopped;
  std::string rule;
  std::string verdicts;
  size_t spans;
  bool operator==(const Outcome&) const = default;
};

Outcome answer(const CompiledPolicy& policy, const std::string& text, uint8_t seed, bool chunked) {
  RedactionSession session(policy.redactor());
  PolicyRequest req;
  req.messages = {{"user", "mail a@example.com", ""}};
  filter_input(policy, session, req);
  OutputFilter filter(policy, session);
  Outcome o{};
  size_t pos = 0;
  size_t step = 1 + seed % 7;
  while (chunked && pos < text.size()) {
    const size_t n = std::min(step, text.size() - pos);
    o.text += filter.feed(std::string_view(text).substr(pos, n));
    pos += n;
    step = 1 + (step * 5 + seed) % 11;
  }
  if (!chunked) o.text += filter.feed(text);
  o.text += filter.finish();
  o.stopped = filter.stopped();
  o.rule = filter.stop_rule();
  for (const auto& v : filter.verdicts()) o.verdicts += v.rule + (v.fired ? "1" : "0") + v.detail + "|";
  o.spans = filter.spans().size();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto policy = CompiledPolicy::compile(warden::core::Json::parse(kPolicy), {"fuzz", 1});
  if (size == 0) return 0;
  const uint8_t seed = data[0];
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);

  // Input stage: no crash, offsets inside the texts they name.
  RedactionSession session(policy->redactor());
  PolicyRequest req;
  req.model = "m";
  req.messages = {{"user", text, ""}, {"system", text, ""}};
  req.stop = {text};
  const InputResult in = filter_input(*policy, session, req);
  for (const auto& s : in.spans) {
    if (s.span.start > s.span.end || s.span.end > text.size() + 64) std::abort();
  }
  const auto inj = InjectionDetector::instance().analyze(text, kAllInjectionChecks);
  for (const auto& ev : inj.evidence) {
    if (ev.start > ev.end || ev.end > text.size()) std::abort();
  }
  // Output stage: chunking does not change anything.
  if (!(answer(*policy, text, seed, false) == answer(*policy, text, seed, true))) std::abort();
  return 0;
}
