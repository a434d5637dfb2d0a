// Prints detection and false-positive rates of the injection heuristics per check on the
// generated labelled set (tests/policy/injection_corpus.h).
//   injection_eval [--seed N] [--attacks N] [--benign N] [--threshold T] [--verbose]
//   injection_eval --explain TEXT   (the cues one text trips)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "injection_corpus.h"
#include "policy/injection.h"

using namespace warden::policy;

int main(int argc, char** argv) {
  uint32_t seed = 20240611;
  size_t attacks = 120, benign = 600;
  double threshold = 0.5;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seed") seed = static_cast<uint32_t>(std::strtoul(next(), nullptr, 10));
    else if (a == "--attacks") attacks = std::strtoul(next(), nullptr, 10);
    else if (a == "--benign") benign = std::strtoul(next(), nullptr, 10);
    else if (a == "--threshold") threshold = std::strtod(next(), nullptr);
    else if (a == "--verbose") verbose = true;
    else if (a == "--explain") {
      const std::string text = next();
      const auto r = InjectionDetector::instance().analyze(text, kAllInjectionChecks);
      std::printf("score %.3f\n", r.score);
      for (const auto& ev : r.evidence) {
        std::printf("  %s/%s %.2f [%zu:%zu] %s\n", std::string(injection_check_name(ev.check)).c_str(), ev.cue.c_str(),
                    ev.weight, ev.start, ev.end, text.substr(ev.start, ev.end - ev.start).c_str());
      }
      return 0;
    }
    else {
      std::fprintf(stderr, "usage: injection_eval [--seed N] [--attacks N] [--benign N] [--threshold T] [--verbose]\n");
      return 2;
    }
  }
  const auto samples = testing::generate_injection_corpus(seed, attacks, benign);
  const auto report = testing::evaluate_injection(samples, threshold);
  std::printf("injection heuristics: %zu attacks, %zu benign prompts (%zu hard negatives), seed %u, threshold %.2f\n\n",
              report.attacks, report.benign, report.hard_negatives, seed, threshold);
  std::printf("%-22s %10s %10s %12s\n", "check", "attacks", "detection", "false-pos");
  for (size_t c = 0; c < kInjectionCheckCount; ++c) {
    const auto check = static_cast<InjectionCheck>(c);
    std::printf("%-22s %10zu %10.3f %12.3f\n", std::string(injection_check_name(check)).c_str(),
                report.per_check[c].positives, report.detection_rate(check), report.false_positive_rate(check));
  }
  std::printf("%-22s %10zu %10.3f %12.3f   (hard negatives flagged: %zu of %zu)\n", "all checks (rule)", report.attacks,
              report.overall_detection_rate(), report.overall_false_positive_rate(), report.hard_negatives_flagged,
              report.hard_negatives);
  struct HeldOut {
    const char* title;
    std::vector<testing::InjectionSample> samples;
  };
  const HeldOut sets[] = {
      {"hand-written set A (seen while the co-occurrence cues were written)", testing::held_out_injection_samples()},
      {"hand-written set B (written before that rework, never used for tuning)", testing::held_out_injection_samples_v2()},
  };
  for (const HeldOut& h : sets) {
    const auto held = testing::evaluate_injection(h.samples, threshold);
    size_t own = 0;
    for (const auto& p : held.per_check) own += p.detected;
    std::printf("\n%s: %zu attacks, %zu benign\n", h.title, held.attacks, held.benign);
    std::printf("  detection (own check) %.3f, detection (rule) %.3f, false-positive rate %.3f\n",
                held.attacks ? double(own) / double(held.attacks) : 0.0, held.overall_detection_rate(),
                held.overall_false_positive_rate());
    if (verbose) {
      for (const auto* s : held.misses) {
        std::printf("  miss [%s] %s\n", std::string(injection_check_name(*s->label)).c_str(), s->text.c_str());
      }
      for (const auto* s : held.false_alarms) std::printf("  false alarm: %s\n", s->text.c_str());
    }
  }
  if (verbose) {
    std::printf("\nmissed attacks (not caught by their own check):\n");
    for (const auto* s : report.misses) {
      std::printf("  [%s/%s] %s\n", std::string(injection_check_name(*s->label)).c_str(), s->family.c_str(),
                  s->text.c_str());
    }
    std::printf("\nfalse alarms:\n");
    for (const auto* s : report.false_alarms) std::printf("  [%s] %s\n", s->family.c_str(), s->text.c_str());
  }
  return 0;
}
