// The Split regexes of the older DeepSeek tokenizers (DeepSeek LLM and Coder, DeepSeek-V2
// and V2-Lite), parsed from their text and matched by hand-written code with the regex's
// exact (Oniguruma, leftmost-first backtracking) semantics.
//
// Supported shape: an optional single-character prefix (`\s?`, ` ?`), then one character
// class repeated (`+`, `*`, `{m}`, `{m,}`, `{m,n}`, or once), optionally followed by `$`
// (end of the piece or just before a "\n", as Oniguruma's Ruby syntax defines it). A
// class is a bracket expression of literal characters, ranges (`A-Z`, `一-龥`, astral
// ranges included), `\r \n \t \f \v`, `\xHH`, `\x{H..}`, `\uHHHH`, escaped punctuation,
// `\s` and `\p{L|M|N|P|S}`, or one of those atoms alone. Examples, from DeepSeek-V2's
// tokenizer.json: `[\r\n]`, `\s?[A-Za-zµÀ-Ö...]+`, `\s?[!-/:-~！-／：-～‘-‟　-。]+`, `\s+$`,
// `[一-龥ࠀ-一가-퟿]+`, `\p{N}+`. Anything else (alternation, groups, lookaround, negated
// classes, lazy quantifiers, a pattern that can match nothing) is refused by parse().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace warden::inference {

// A set of code points: explicit ranges plus whole Unicode classes (UnicodeClass flags).
class CharClass {
 public:
  void add_range(char32_t first, char32_t last);
  void add_flags(uint8_t flags) { flags_ |= flags; }
  // Sorts and merges the ranges; call once after the last add.
  void finish();
  bool contains(char32_t cp) const;

 private:
  std::vector<std::pair<char32_t, char32_t>> ranges_;
  uint8_t flags_ = 0;
  uint64_t ascii_[2] = {0, 0};  // membership of U+0000..U+007F, filled by finish()
};

class SimpleSplitPattern {
 public:
  static constexpr int kUnbounded = -1;

  // Throws std::invalid_argument saying what in `regex` is outside the supported shape.
  static SimpleSplitPattern parse(std::string_view regex);
  // One character of `cls`, `min`..`max` times (max may be kUnbounded); no prefix, no `$`.
  static SimpleSplitPattern repeat(CharClass cls, int min, int max);

  // Length in bytes of the match starting exactly at piece[pos] (valid UTF-8), 0 when none.
  // On no match, `*next_try` receives the first position where a match may start (> pos):
  // the scan skips the rest of a run that cannot match either.
  size_t match_at(std::string_view piece, size_t pos, size_t* next_try) const;

 private:
  // End of the repeated part starting at `pos` (greedy, then backtracking for `$`), or npos.
  size_t match_repeat(std::string_view piece, size_t pos, size_t* run_end) const;

  bool has_prefix_ = false;
  CharClass prefix_;  // the optional first character
  CharClass body_;
  int min_ = 1;
  int max_ = 1;
  bool at_line_end_ = false;  // trailing `$`
};

}  // namespace warden::inference
