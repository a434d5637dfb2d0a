// A guardrail regex applied in bounded windows, so that a streamed answer can be checked
// with a bounded hold-back and still give exactly the matches a one-shot check gives.
//
// Semantics (docs/policies.md, "regex"): the search starts at position 0. Each step looks
// for the leftmost match in text[pos, pos + max_len + step) (RE2 sees 4 more bytes on
// each side as context, for \b and the like):
//   - a match starting at or before pos + step is taken; the next step starts at its end;
//   - a match starting later moves pos to its start (the next step sees it whole);
//   - no match moves pos by step + 1 bytes (then past up to 3 UTF-8 continuation bytes).
// step = max(32, max_len / 4). A match is at most max_len + step bytes long; a match of
// up to max_len bytes is always found whole. Matches never overlap; empty matches are
// skipped. The result depends only on the text, never on how it arrived.
// Immutable; safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace re2 {
class RE2;
}

namespace warden::policy {

class WindowedRegex {
 public:
  static constexpr size_t kContext = 4;
  static constexpr size_t kDefaultMaxLen = 256;

  // Throws std::invalid_argument with RE2's message when the pattern does not compile.
  WindowedRegex(const std::string& pattern, size_t max_len);
  ~WindowedRegex();

  size_t max_len() const { return max_len_; }
  size_t step() const { return step_; }
  // Bytes of text after `pos` a step needs before it may run on an unfinished text.
  size_t lookahead() const { return max_len_ + step_ + kContext; }
  bool matches_empty() const;

  // Runs steps from `*pos` (an absolute offset) over `text`, which holds the absolute range
  // [base, base + text.size()) and at least kContext bytes before *pos when *pos >= kContext.
  // complete=false: stops when the next step would need text that has not arrived.
  // Appends [start, end) absolute offsets of matches.
  void advance(std::string_view text, size_t base, bool complete, size_t* pos,
               std::vector<std::pair<size_t, size_t>>& out) const;

  // All matches of a complete text.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

 private:
  std::unique_ptr<re2::RE2> re_;
  size_t max_len_;
  size_t step_;
};

}  // namespace warden::policy
