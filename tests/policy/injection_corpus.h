// A labelled set of prompt-injection attempts and benign prompts, generated from
// templates with a fixed seed: attacks of each injection check in varied phrasings,
// wrapped in documents, e-mails, code and translations, some obfuscated (leetspeak,
// spaced letters, zero-width characters, fullwidth letters, odd case); benign prompts
// include hard negatives that share words with attacks ("ignore the previous error and
// retry", "act as a reviewer for my essay", HTML <s> tags, base64 images, hashes).
// Used by tests/policy/injection_eval_test.cpp and bench/policy/injection_eval.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/injection.h"

namespace warden::policy::testing {

struct InjectionSample {
  std::string text;
  std::optional<InjectionCheck> label;  // nullopt: benign
  bool hard_negative = false;
  std::string family;  // template family, for reading failures
};

// Phrases of the deny rule the evaluation policy carries; encoded_payload samples hide
// some of them in base64 / hex.
const std::vector<std::string>& injection_eval_deny_phrases();

// A small hand-written set kept apart from the templates above and never used to tune
// the cues: it shows how the heuristics do on phrasings they were not written against.
std::vector<InjectionSample> held_out_injection_samples();
// A second hand-written set, written before the cues were reworked after the first one
// was seen, and measured once afterwards.
std::vector<InjectionSample> held_out_injection_samples_v2();

std::vector<InjectionSample> generate_injection_corpus(uint32_t seed = 20240611, size_t attacks_per_check = 120,
                                                       size_t benign = 600);

}  // namespace warden::policy::testing

namespace warden::policy::testing {

// Detection and false-positive rates of the injection heuristics on a labelled set, with
// the encoded-payload check probing a deny_topics rule of injection_eval_deny_phrases().
struct InjectionEvalReport {
  struct PerCheck {
    size_t positives = 0;        // samples labelled with the check
    size_t detected = 0;         // of those, the check scored >= threshold
    size_t false_positives = 0;  // benign samples the check scored >= threshold
  };
  std::array<PerCheck, kInjectionCheckCount> per_check{};
  size_t attacks = 0, attacks_detected = 0;  // any enabled check (the rule's score)
  size_t benign = 0, benign_flagged = 0;
  size_t hard_negatives = 0, hard_negatives_flagged = 0;
  std::vector<const InjectionSample*> misses;        // attacks not detected by their own check
  std::vector<const InjectionSample*> false_alarms;  // benign samples the rule would fire on

  double detection_rate(InjectionCheck c) const;
  double false_positive_rate(InjectionCheck c) const;
  double overall_detection_rate() const { return attacks ? double(attacks_detected) / double(attacks) : 0.0; }
  double overall_false_positive_rate() const { return benign ? double(benign_flagged) / double(benign) : 0.0; }
};

InjectionEvalReport evaluate_injection(const std::vector<InjectionSample>& samples, double threshold = 0.5);

}  // namespace warden::policy::testing
