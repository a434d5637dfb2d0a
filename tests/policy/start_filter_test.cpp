// The prefilter's fast path (SIMD pass, bitmaps, digit tables, bit counts) must list exactly
// the candidates of its plain byte loop, on realistic text and on random text dense in the
// bytes the shapes and cue words care about, from any start offset, with every instruction
// set the machine has.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "bench/redaction/mixed_text.h"
#include "policy/builtin_patterns.h"
#include "policy/start_filter.h"

using namespace warden::policy;

namespace {

// The builtin patterns with a start shape, as the detector registers them.
StartFilter builtin_filter() {
  StartFilter filter;
  const auto& patterns = builtin_patterns();
  for (size_t i = 0; i < patterns.size(); ++i)
    if (patterns[i].start.shape != StartShape::kAny) filter.add(static_cast<int>(i), patterns[i].start);
  filter.build();
  return filter;
}

std::vector<std::pair<int, size_t>> fast(const StartFilter& f, std::string_view text, size_t from) {
  std::vector<std::pair<int, size_t>> out;
  f.candidates(text, from, out);
  return out;
}

std::vector<std::pair<int, size_t>> reference(const StartFilter& f, std::string_view text, size_t from) {
  std::vector<std::pair<int, size_t>> out;
  f.candidates_reference(text, from, out);
  return out;
}

// The instruction sets to compare: SSE2 and, where the CPU has it, AVX-512.
std::vector<StartFilter::Simd> simd_levels() {
  std::vector<StartFilter::Simd> levels;
  for (auto level : {StartFilter::Simd::kSse2, StartFilter::Simd::kAvx512}) {
    StartFilter::force_simd(level);
    if (StartFilter::simd_in_use() == level) levels.push_back(level);
  }
  StartFilter::force_simd(StartFilter::Simd::kAuto);
  return levels;
}

struct ForcedSimd {
  explicit ForcedSimd(StartFilter::Simd level) { StartFilter::force_simd(level); }
  ~ForcedSimd() { StartFilter::force_simd(StartFilter::Simd::kAuto); }
};

}  // namespace

TEST_CASE("prefilter fast path equals the reference loop on mixed text", "[policy][start_filter]") {
  const StartFilter filter = builtin_filter();
  const auto levels = simd_levels();
  REQUIRE(!levels.empty());  // x86-64 always has SSE2
  for (auto level : levels) {
    const ForcedSimd forced(level);
    size_t total = 0;
    for (int kind = 0; kind <= 4; ++kind) {
      const std::string text = warden::bench::mixed_text(96 << 10, 11, kind);
      const auto expected = reference(filter, text, 0);
      INFO("simd " << static_cast<int>(level) << ", kind " << kind);
      CHECK(fast(filter, text, 0) == expected);
      total += expected.size();
    }
    CHECK(total > 100);  // the text has PII: the comparison is not between two empty lists
  }
}

TEST_CASE("prefilter fast path equals the reference loop on dense random text", "[policy][start_filter]") {
  const StartFilter filter = builtin_filter();
  // Pieces that start or nearly start matches of every shape and cue word.
  static const char* const kPieces[] = {
      "0", "1", "3", "4", "9", "12", "123", "2024", "4111", " ", "  ", "-", ".", ":", "::", "/", "(", ")", "+",
      "@", "=", ",", "_", "#", "\n", "\r\n", "a", "b", "bc1", "BC1", "e", "f", "x", "Z", "DE89", "AKIA", "ghp_",
      "xoxb-", "eyJ", "sk-", "https://", "www.", "Mr", "Dear", "name", "to", "From", "cc", "met", "ask",
      "password", "api_key", "token", "dob", "rue", "bis", "Via", "Hauptstraße", "Street", "Baker", "Anna",
      "\xc3\xa9", "\xc3\x89", "\xff", "\x80"};
  for (auto level : simd_levels()) {
    const ForcedSimd forced(level);
    std::mt19937_64 rng(7);
    for (int round = 0; round < 400; ++round) {
      std::string text;
      const size_t pieces = 1 + rng() % 120;
      for (size_t k = 0; k < pieces; ++k) text += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
      const size_t from = rng() % (text.size() + 1);
      INFO("simd " << static_cast<int>(level) << ", round " << round << ", from " << from << ": " << text);
      REQUIRE(fast(filter, text, from) == reference(filter, text, from));
    }
  }
}

TEST_CASE("prefilter fast path equals the reference loop on number-heavy text", "[policy][start_filter]") {
  const StartFilter filter = builtin_filter();
  // Digit groups, separators and letters that exercise the bit counts: card-like runs around
  // 13 digits, phone runs around 7 digits, dotted quads, colon walks around 7 colons and
  // "::", base58 runs around 26 characters, street numbers and validator-refused neighbours.
  static const char* const kPieces[] = {
      "0", "1", "3", "7", "12", "123", "1234", "12345", "2024", "1985", "4111", " ", " ", "-", ".", ",", ":", "::",
      "/", "(", ")", "+", "#", "=", "$", "@", "_", "\n", "a", "b", "f", "t", "bis", "ter", "rue", "Rue", "avenue",
      "Baker", "Street", "Z", "x", "\xc3\xa9", "\xc3", "1BoatSLRHtKNngkdXEeobR76b5", "3J98t1WpEZ73CNmQviecrnyiW",
      "abcdef", "fe80", "db8", "10.0.4.17", "256.1.2", "2001:db8:0:0:0:0:0:1", "1:2:3:4:5:6:7", "4111 1111 1111 111",
      "555-0147", "+1 212", "(212) ", "123-45-6789", "20-", "19.", "v1."};
  for (auto level : simd_levels()) {
    const ForcedSimd forced(level);
    std::mt19937_64 rng(11);
    size_t total = 0;
    for (int round = 0; round < 600; ++round) {
      std::string text;
      const size_t pieces = 1 + rng() % 160;
      for (size_t k = 0; k < pieces; ++k) text += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
      const size_t from = rng() % (text.size() + 1);
      const auto expected = reference(filter, text, from);
      INFO("simd " << static_cast<int>(level) << ", round " << round << ", from " << from << ": " << text);
      REQUIRE(fast(filter, text, from) == expected);
      total += expected.size();
    }
    CHECK(total > 1000);
  }
}
