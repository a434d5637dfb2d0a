// Stop strings with hold-back, fed in arbitrary pieces.
#include <catch2/catch.hpp>

#include <random>

#include "inference/stop_matcher.h"

using warden::inference::StopStringMatcher;

namespace {

// Feeds `text` in pieces cut at `cuts`; returns everything emitted and whether it stopped.
std::pair<std::string, bool> feed(const std::vector<std::string>& stops, const std::string& text,
                                  std::vector<size_t> cuts) {
  StopStringMatcher m(stops);
  std::string out;
  size_t prev = 0;
  cuts.push_back(text.size());
  for (size_t cut : cuts) {
    auto r = m.push(text.substr(prev, cut - prev));
    out += r.text;
    prev = cut;
    if (r.stopped) return {out, true};
  }
  return {out + m.flush(), false};
}

}  // namespace

TEST_CASE("stop strings are found across pieces and cut", "[stop]") {
  CHECK(feed({"<END>"}, "ab<END>cd", {1, 3, 4, 5, 6}) == std::pair<std::string, bool>{"ab", true});
  CHECK(feed({"<END>"}, "ab<EN", {2}) == std::pair<std::string, bool>{"ab<EN", false});
  CHECK(feed({"\n\n"}, "line\n\nnext", {5}) == std::pair<std::string, bool>{"line", true});
  CHECK(feed({"y", "xyz"}, "axyz", {}) == std::pair<std::string, bool>{"a", true});  // earliest start wins
  CHECK(feed({""}, "abc", {1}) == std::pair<std::string, bool>{"abc", false});
}

TEST_CASE("held-back text is only a possible stop-string start", "[stop]") {
  StopStringMatcher m({"STOP"});
  CHECK(m.push("abc ST").text == "abc ");
  CHECK(m.held_bytes() == 2);
  CHECK(m.push("A").text == "STA");  // "STA" cannot start "STOP": released
  CHECK(m.held_bytes() == 0);
}

TEST_CASE("any cutting of a text gives the same output (property)", "[stop]") {
  std::mt19937 rng(17);
  const std::string alphabet = "ab<>END";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    size_t n = rng() % 20;
    for (size_t i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    std::vector<std::string> stops = {"<END>", "ba"};
    auto whole = feed(stops, text, {});
    std::vector<size_t> cuts;
    for (size_t i = 1; i < text.size(); ++i) {
      if (rng() % 2) cuts.push_back(i);
    }
    REQUIRE(feed(stops, text, cuts) == whole);
    size_t first = std::min(text.find("<END>"), text.find("ba"));
    REQUIRE(whole.first == text.substr(0, first == std::string::npos ? text.size() : first));
  }
}
