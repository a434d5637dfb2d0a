// Guardrail costs with the shipped default policy plus a few typical rules:
//   - filter_input: microseconds per request and MB/s for prompts of several sizes;
//   - OutputFilter: added time per streamed delta (~4-byte token pieces) and the bytes
//     held back on average, with and without a regex rule in guardrails.output.
//   guardrail_bench [--seconds S]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/yaml.h"
#include "policy/policy.h"

using namespace warden;
using Clock = std::chrono::steady_clock;

namespace {

const char* kExtraRules = R"(
guardrails:
  input:
    - {id: no-salaries, kind: deny_topics, action: block, phrases: [salary, pay slip, compensation band], exceptions: [salary band policy]}
    - {id: tickets-ok, kind: regex, mode: allow, pattern: 'TICKET-\d{4,8}'}
    - {id: no-codenames, kind: regex, action: redact, pattern: '(?i)\bproject[ -](?:bluebird|nightjar)\b', max_len: 32}
    - {id: injection, kind: injection, action: block}
    - {id: tokens, kind: max_input_tokens, limit: 100000}
  output:
    - {id: no-launch, kind: deny_topics, action: block, phrases: [launch date, acquisition target]}
    - {id: no-keys, kind: regex, action: redact, pattern: 'sk-[A-Za-z0-9]{20,40}', max_len: 48}
)";

std::string prose(size_t bytes) {
  static const char* kSentences[] = {
      "The quarterly review covers revenue, hiring and the roadmap for the next two releases. ",
      "Please send the updated figures to the finance team before Thursday noon. ",
      "Our customers in Lisbon and Oslo asked for better offline support in the mobile app. ",
      "The build failed because the linker could not find the compression library. ",
      "We agreed to revisit the vendor contract after the security assessment is complete. "};
  std::string out;
  size_t i = 0;
  while (out.size() < bytes) out += kSentences[i++ % 5];
  out.resize(bytes);
  return out;
}

core::Json policy_document() {
  core::Json doc = core::load_document_file(std::string(WARDEN_SOURCE_DIR) + "/policy/defaults/default.yaml");
  core::Json extra = core::parse_yaml(kExtraRules);
  doc["guardrails"] = extra.at("guardrails");
  return doc;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
  if (argc == 3 && std::string(argv[1]) == "--seconds") seconds = std::strtod(argv[2], nullptr);
  auto policy = policy::CompiledPolicy::compile(policy_document(), {"bench", 1});

  std::printf("filter_input (default redaction + 5 input rules), one user message:\n");
  for (size_t size : {300, 4096, 65536}) {
    policy::PolicyRequest req;
    req.model = "m";
    req.messages = {{"system", "You are a helpful assistant.", ""}, {"user", prose(size), ""}};
    size_t n = 0;
    const auto start = Clock::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      policy::RedactionSession session(policy->redactor());
      auto r = policy::filter_input(*policy, session, req);
      if (r.decision == policy::Decision::kBlocked) std::abort();
      ++n;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    }
    std::printf("  %6zu bytes: %9.1f us/request  %7.1f MB/s\n", size, 1e6 * elapsed / double(n),
                double(size) * double(n) / elapsed / 1e6);
  }

  std::printf("OutputFilter, 16 KiB answer streamed in 4-byte deltas:\n");
  const std::string answer = prose(16384);
  for (bool with_output_rules : {false, true}) {
    core::Json doc = policy_document();
    if (!with_output_rules) doc["guardrails"]["output"] = core::Json::array();
    auto p = policy::CompiledPolicy::compile(doc, {"bench", 1});
    size_t deltas = 0, held_sum = 0, rounds = 0;
    const auto start = Clock::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      policy::RedactionSession session(p->redactor());
      policy::OutputFilter filter(*p, session);
      size_t sent = 0;
      for (size_t i = 0; i < answer.size(); i += 4) {
        sent += filter.feed(std::string_view(answer).substr(i, 4)).size();
        held_sum += std::min(answer.size(), i + 4) - sent;
        ++deltas;
      }
      sent += filter.finish().size();
      if (sent != answer.size()) std::abort();
      ++rounds;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    }
    std::printf("  %-34s %7.2f us/delta   held back on average %6.1f bytes\n",
                with_output_rules ? "redaction + 2 output rules:" : "redaction only (no output rules):",
                1e6 * elapsed / double(deltas), double(held_sum) / double(deltas));
  }
  return 0;
}
