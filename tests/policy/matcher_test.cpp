// PhraseMatcher against a naive reference, its streaming contract, case folding known
// answers, and WindowedRegex against plain RE2 matching.
#include <catch2/catch.hpp>

#include <re2/re2.h>

#include <random>
#include <set>
#include <tuple>

#include "policy/phrase_matcher.h"
#include "policy/text_fold.h"
#include "policy/windowed_regex.h"

using namespace warden::policy;

namespace {

using MatchSet = std::set<std::tuple<size_t, size_t, uint32_t>>;

bool spaced_word(const text::Char& c) { return text::is_word(c) && !text::is_standalone(c.cp); }

// The reference: fold the text into a stream of bytes that remember their character,
// then find every phrase with std::string::find and check the word edges by hand.
MatchSet naive(const std::vector<std::string>& phrases, const std::string& t) {
  std::string stream;
  std::vector<size_t> from, to;
  auto push = [&](char b, size_t s, size_t e) {
    stream.push_back(b);
    from.push_back(s);
    to.push_back(e);
  };
  size_t space_run = 0, ignorable_run = 0;
  bool in_space = false;
  for (size_t i = 0; i < t.size();) {
    const text::Char c = text::decode(t, i);
    const size_t s = i;
    i += c.length;
    if (c.valid && text::is_ignorable(c.cp)) {
      if (++ignorable_run == PhraseMatcher::kMaxIgnorableRun + 1) push('\x01', s, i);  // breaks any match
      continue;
    }
    ignorable_run = 0;
    if (c.valid && text::is_space(c.cp)) {
      if (!in_space) {
        in_space = true;
        space_run = c.length;
        push(' ', s, i);
      } else {
        const size_t before = space_run;
        space_run += c.length;
        if (before <= PhraseMatcher::kMaxSpaceRun && space_run > PhraseMatcher::kMaxSpaceRun) push('\x01', s, i);
      }
      continue;
    }
    in_space = false;
    std::string folded;
    text::append_folded(c, folded);
    for (char b : folded) push(b, s, i);
  }
  MatchSet out;
  for (uint32_t p = 0; p < phrases.size(); ++p) {
    const std::string f = text::fold_phrase(phrases[p]);
    const bool left = spaced_word(text::decode(f, 0));
    const bool right = spaced_word(text::decode(f, text::previous_start(f, f.size())));
    for (size_t k = stream.find(f); k != std::string::npos; k = stream.find(f, k + 1)) {
      const size_t s = from[k], e = to[k + f.size() - 1];
      if (left && s > 0 && spaced_word(text::decode(t, text::previous_start(t, s)))) continue;
      if (right && e < t.size() && spaced_word(text::decode(t, e))) continue;
      out.emplace(s, e, p);
    }
  }
  return out;
}

MatchSet fast(const PhraseMatcher& m, const std::string& t, bool complete = true, size_t* unsettled = nullptr) {
  std::vector<PhraseMatcher::Match> found;
  m.scan(t, 0, complete, found, unsettled);
  MatchSet out;
  for (const auto& x : found) out.emplace(x.start, x.end, x.term);
  return out;
}

const std::vector<std::string> kPieces = {"a", "b", "ab", "ba", " ", "  ", "\t", "\n", "-", ".", "é", "É", "ß",
                                          "ss", "Σ", "σ", "ς", "工", "资", "Ａ", "\xe2\x80\x8b", "_", "7", "\xff",
                                          "bab", "aba", "                 "};

}  // namespace

TEST_CASE("text folding: known answers", "[policy][matcher]") {
  CHECK(text::fold_phrase("  ÄÖÜ   Straße ") == "äöü strasse");
  CHECK(text::fold_phrase("ＳＡＬＡＲＹ") == "salary");
  CHECK(text::fold_phrase("ΣΟΦΙΑ σοφίας") == "σοφια σοφίασ");
  CHECK(text::fold_phrase("ПРИВЕТ Ёж") == "привет ёж");
  CHECK(text::fold_phrase("ŁÓDŹ İstanbul") == "łódź istanbul");
  CHECK(text::fold_phrase("pay\u200b slip") == "pay slip");
  CHECK(text::fold_phrase("\xff" "A") == "\xff" "a");  // invalid bytes stay
  CHECK(text::fold_phrase("\u200b\u00a0") == "");
}

TEST_CASE("phrase matcher: same matches as a naive reference on random text", "[policy][matcher]") {
  std::mt19937 rng(11);
  for (int round = 0; round < 60; ++round) {
    std::vector<std::string> phrases;
    PhraseMatcher m;
    const size_t n = 1 + rng() % 6;
    for (size_t i = 0; i < n; ++i) {
      std::string p;
      const size_t parts = 1 + rng() % 4;
      for (size_t k = 0; k < parts; ++k) p += kPieces[rng() % kPieces.size()];
      if (text::fold_phrase(p).empty()) continue;
      const uint32_t id = m.add(p);
      if (id == phrases.size()) phrases.push_back(p);
    }
    if (phrases.empty()) continue;
    m.build();
    for (int t = 0; t < 40; ++t) {
      std::string text;
      const size_t parts = rng() % 40;
      for (size_t k = 0; k < parts; ++k) text += kPieces[rng() % kPieces.size()];
      INFO("text: " << text << " phrases: " << phrases.size() << " first: " << phrases[0]);
      REQUIRE(fast(m, text) == naive(phrases, text));
    }
  }
}

TEST_CASE("phrase matcher: streaming reports only settled matches, and all of them", "[policy][matcher]") {
  std::mt19937 rng(5);
  PhraseMatcher m;
  for (const char* p : {"ab", "a b", "b a", "ba ab", "工", "aba"}) m.add(p);
  m.build();
  for (int t = 0; t < 300; ++t) {
    std::string text;
    const size_t parts = rng() % 30;
    for (size_t k = 0; k < parts; ++k) text += kPieces[rng() % kPieces.size()];
    const MatchSet final_matches = fast(m, text);
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      size_t unsettled = 0;
      const MatchSet partial = fast(m, text.substr(0, cut), false, &unsettled);
      INFO("text: " << text << " cut: " << cut);
      REQUIRE(unsettled <= cut);
      for (const auto& x : partial) REQUIRE(final_matches.count(x));  // never a match that more text undoes
      for (const auto& x : final_matches) {
        if (std::get<0>(x) < unsettled) REQUIRE(partial.count(x));  // everything before `unsettled` is known
      }
    }
  }
}

TEST_CASE("phrase matcher: limits are enforced", "[policy][matcher]") {
  PhraseMatcher m;
  CHECK_THROWS_AS(m.add(std::string(200, 'x')), std::invalid_argument);
  CHECK_THROWS_AS(m.add(" \u200b "), std::invalid_argument);
  CHECK(m.add("Foo") == m.add("FOO  "));
}

TEST_CASE("windowed regex: equals RE2 on matches shorter than max_len, for any arrival", "[policy][matcher]") {
  std::mt19937 rng(3);
  const std::vector<std::string> patterns = {"ab{1,8}a", "\\bba\\b", "(?i)A[^ ]{0,6}B", "[0-9]{3,5}", "x|yy|zzz", "é{1,5}"};
  const std::vector<std::string> pieces = {"a", "b", "ab", " ", "x", "yy", "zz", "z", "1234", "12", "A", "B", "é", "\n"};
  for (const auto& pattern : patterns) {
    const WindowedRegex w(pattern, 40);
    RE2 re(pattern);
    for (int t = 0; t < 60; ++t) {
      std::string text;
      const size_t parts = rng() % 200;
      for (size_t k = 0; k < parts; ++k) text += pieces[rng() % pieces.size()];
      // Reference: leftmost matches, searching on from the end of each.
      std::vector<std::pair<size_t, size_t>> expected;
      re2::StringPiece m;
      for (size_t pos = 0; pos <= text.size() && re.Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1);) {
        const size_t s = static_cast<size_t>(m.data() - text.data());
        if (m.size() == 0) {
          pos = s + 1;
          continue;
        }
        expected.emplace_back(s, s + m.size());
        pos = s + m.size();
      }
      INFO(pattern << " on " << text);
      REQUIRE(w.find_all(text) == expected);
      // Streaming: text arriving in pieces, kept from 8 bytes before the search position.
      std::vector<std::pair<size_t, size_t>> streamed;
      size_t pos = 0, arrived = 0;
      while (arrived < text.size()) {
        arrived = std::min(text.size(), arrived + 1 + rng() % 20);
        const size_t base = pos > 8 ? pos - 8 : 0;
        w.advance(std::string_view(text).substr(base, arrived - base), base, false, &pos, streamed);
      }
      const size_t base = pos > 8 ? pos - 8 : 0;
      w.advance(std::string_view(text).substr(base), base, true, &pos, streamed);
      REQUIRE(streamed == expected);
    }
  }
  CHECK_THROWS_AS(WindowedRegex("(unclosed", 10), std::invalid_argument);
  CHECK(WindowedRegex("a*", 10).matches_empty());
}

TEST_CASE("windowed regex: invalid UTF-8 runs do not make results depend on arrival", "[policy][matcher]") {
  // Found by tests/policy/fuzz/guardrail_fuzz.cpp: a long run of continuation bytes.
  const std::string text = "TT" + std::string(71, '\x98') + "T" + std::string(23, 'a') + "TT" + std::string(40, '\x98') + "aa";
  const WindowedRegex w("a+", 8);
  const auto expected = w.find_all(text);
  for (size_t piece = 1; piece < 50; ++piece) {
    std::vector<std::pair<size_t, size_t>> streamed;
    size_t pos = 0;
    for (size_t arrived = piece; arrived < text.size() + piece; arrived += piece) {
      const size_t avail = std::min(arrived, text.size());
      const size_t base = pos > 8 ? pos - 8 : 0;
      w.advance(std::string_view(text).substr(base, avail - base), base, avail == text.size(), &pos, streamed);
    }
    INFO("piece " << piece);
    REQUIRE(streamed == expected);
  }
}
