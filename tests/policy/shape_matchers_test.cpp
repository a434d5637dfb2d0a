// The hand-written matchers of the fixed-shape builtin patterns must give exactly RE2's
// anchored leftmost-longest match of the pattern's regex: at every start of random text
// dense in digits, separators and capitals, with the detector's limit and shorter ones.
#include <re2/re2.h>

#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "policy/builtin_patterns.h"

using namespace warden::policy;

namespace {

std::string random_text(std::mt19937_64& rng, size_t size) {
  // Digit groups and what separates or follows them in cards, IBANs, SSNs and addresses.
  std::string text;
  while (text.size() < size) {
    const unsigned pick = static_cast<unsigned>(rng() % 100);
    if (pick < 45) {
      for (size_t k = 1 + rng() % 5; k > 0; --k) text.push_back(static_cast<char>('0' + rng() % 10));
    } else if (pick < 60) {
      text.push_back(' ');
    } else if (pick < 68) {
      text.push_back('-');
    } else if (pick < 80) {
      text.push_back('.');
    } else if (pick < 92) {
      for (size_t k = 1 + rng() % 3; k > 0; --k) text.push_back("ABDEGZ"[rng() % 6]);
    } else if (pick < 96) {  // a dotted quad, parts of 1 to 4 digits
      for (int part = 0; part < 4; ++part) {
        if (part > 0) text.push_back('.');
        const size_t digits = rng() % 8 == 0 ? 4 : 1 + rng() % 3;
        for (size_t k = 0; k < digits; ++k) text.push_back(static_cast<char>('0' + rng() % 10));
      }
    } else if (pick < 99) {  // an IBAN-like run: country, check digits, groups of capitals and digits
      text += "DE";
      for (size_t k = 2 + rng() % 26; k > 0; --k) {
        if (rng() % 5 == 0) text.push_back(' ');
        text.push_back(rng() % 3 == 0 ? "ABZ"[rng() % 3] : static_cast<char>('0' + rng() % 10));
      }
    } else {
      text.push_back("a_\n\xc3"[rng() % 4]);
    }
  }
  text.resize(size);
  return text;
}

}  // namespace

TEST_CASE("shape matchers equal RE2 on their pattern's regex", "[policy][shape_matchers]") {
  RE2::Options options;
  options.set_longest_match(true);
  options.set_log_errors(false);
  size_t patterns = 0;
  for (const PatternSpec& spec : builtin_patterns()) {
    if (!spec.shape_match) continue;
    ++patterns;
    const RE2 re(spec.regex, options);
    REQUIRE(re.ok());
    REQUIRE(re.NumberOfCapturingGroups() == 0);
    std::mt19937_64 rng(static_cast<uint64_t>(spec.type) * 7919 + patterns);
    size_t matches = 0;
    for (int round = 0; round < 2000; ++round) {
      const std::string text = random_text(rng, 1 + rng() % 100);
      for (size_t start = 0; start < text.size(); ++start) {
        const size_t limits[] = {std::min(text.size(), start + static_cast<size_t>(spec.max_len)),
                                 start + 1 + rng() % (text.size() - start)};
        for (size_t limit : limits) {
          const std::string_view subject(text.data(), limit);
          re2::StringPiece m;
          const bool expected = re.Match(re2::StringPiece(subject.data(), subject.size()), start, limit,
                                         RE2::ANCHOR_START, &m, 1);
          size_t end = 0;
          const bool found = spec.shape_match(subject, start, end);
          INFO(spec.regex << " at " << start << ", limit " << limit << ": " << text);
          REQUIRE(found == expected);
          if (expected) {
            REQUIRE(end == start + m.size());
            ++matches;
          }
        }
      }
    }
    INFO(spec.regex);
    CHECK(matches > 200);  // the text does hold matches: the comparison is not of two "no"s
  }
  CHECK(patterns == 4);
}
