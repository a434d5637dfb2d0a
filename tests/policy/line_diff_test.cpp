// The unified line diff: known answers, and on random texts two stated properties: applying
// the diff to the old text gives the new one, and it changes exactly n + m - 2 * LCS lines
// (minimal), with the LCS from an independent dynamic-programming reference.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>

#include "policy/line_diff.h"

using warden::policy::split_lines;
using warden::policy::unified_diff;

namespace {

// Applies a unified diff produced by unified_diff to `before` (lines), checking every
// context and removed line against it.
std::vector<std::string> apply_patch(const std::vector<std::string>& before, const std::string& patch, int& changed) {
  std::vector<std::string> after;
  std::istringstream in(patch);
  std::string line;
  size_t next = 0;  // next line of `before` not yet copied
  changed = 0;
  std::getline(in, line);
  REQUIRE(line.rfind("--- ", 0) == 0);
  std::getline(in, line);
  REQUIRE(line.rfind("+++ ", 0) == 0);
  while (std::getline(in, line)) {
    if (line.rfind("@@ -", 0) == 0) {
      size_t start = std::stoul(line.substr(4));
      size_t count = std::stoul(line.substr(line.find(',') + 1));
      size_t first = count == 0 ? start : start - 1;  // 0-based first line of the hunk
      REQUIRE(first >= next);
      while (next < first) after.push_back(before[next++]);
      continue;
    }
    REQUIRE_FALSE(line.empty());
    const std::string text = line.substr(1);
    if (line[0] == ' ' || line[0] == '-') {
      REQUIRE(next < before.size());
      REQUIRE(before[next] == text);
      ++next;
      if (line[0] == ' ') after.push_back(text);
      else ++changed;
    } else {
      REQUIRE(line[0] == '+');
      after.push_back(text);
      ++changed;
    }
  }
  while (next < before.size()) after.push_back(before[next++]);
  return after;
}

size_t lcs(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<size_t>> t(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      t[i][j] = a[i - 1] == b[j - 1] ? t[i - 1][j - 1] + 1 : std::max(t[i - 1][j], t[i][j - 1]);
    }
  }
  return t[a.size()][b.size()];
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("unified_diff known answers", "[line_diff]") {
  CHECK(unified_diff("a\nb\n", "a\nb\n", "x", "y").empty());
  CHECK(unified_diff("a\nb\nc\nd\n", "a\nc\nd\ne\n", "old", "new", 1) ==
        "--- old\n+++ new\n"
        "@@ -1,4 +1,4 @@\n"
        " a\n-b\n c\n d\n+e\n");
  // Changes far apart make two hunks.
  CHECK(unified_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\nX\n3\n4\n5\n6\n7\nY\n9\n", "a", "b", 1) ==
        "--- a\n+++ b\n"
        "@@ -1,3 +1,3 @@\n 1\n-2\n+X\n 3\n"
        "@@ -7,3 +7,3 @@\n 7\n-8\n+Y\n 9\n");
  // Insertion into an empty text names line 0.
  CHECK(unified_diff("", "a\n", "a", "b") == "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+a\n");
  CHECK(unified_diff("a\n", "", "a", "b") == "--- a\n+++ b\n@@ -1,1 +0,0 @@\n-a\n");
  CHECK(split_lines("a\n\nb").size() == 3);
  CHECK(split_lines("a\n").size() == 1);
}

TEST_CASE("unified_diff is a correct, minimal patch on random texts", "[line_diff]") {
  std::mt19937 rng(20241123);
  for (int round = 0; round < 300; ++round) {
    const int alphabet = 2 + static_cast<int>(rng() % 5);
    auto random_lines = [&] {
      std::vector<std::string> lines(rng() % 30);
      for (auto& l : lines) l = std::string(1, static_cast<char>('a' + rng() % alphabet));
      return lines;
    };
    auto before = random_lines();
    auto after = random_lines();
    const int context = static_cast<int>(rng() % 4);
    std::string patch = unified_diff(join(before), join(after), "before", "after", context);
    if (before == after) {
      CHECK(patch.empty());
      continue;
    }
    int changed = 0;
    auto rebuilt = apply_patch(before, patch, changed);
    REQUIRE(rebuilt == after);
    CHECK(static_cast<size_t>(changed) == before.size() + after.size() - 2 * lcs(before, after));
  }
}
