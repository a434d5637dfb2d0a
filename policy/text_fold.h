// Character classes and case folding for guardrail matching (deny topics, injection
// heuristics). UTF-8 aware: a "word" is made of letters and digits of any script, CJK
// characters stand alone (no spaces between words), and folding maps upper case of
// Latin, Greek and Cyrillic, fullwidth ASCII and a few ligature-like letters (ß -> ss)
// onto one form so that "SALARY", "Salary" and "ｓａｌａｒｙ" match the same phrase.
// Invalid UTF-8 bytes are single, non-word characters; nothing here throws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace warden::policy::text {

struct Char {
  char32_t cp = 0;     // code point, or the raw byte when invalid
  size_t length = 1;   // bytes in the text
  bool valid = true;
};

// The character starting at s[i] (i < s.size()).
Char decode(std::string_view s, size_t i);
// True when s[i..] is a lead byte whose sequence is cut off by the end of `s`.
bool truncated_at(std::string_view s, size_t i);
// Start of the character that ends just before `i` (i > 0).
size_t previous_start(std::string_view s, size_t i);
inline bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

bool is_space(char32_t cp);       // ASCII and Unicode white space
bool is_ignorable(char32_t cp);   // zero-width characters, soft hyphen, BOM
bool is_word(const Char& c);      // letters, digits, '_' (punctuation and symbols are not)
bool is_standalone(char32_t cp);  // CJK ideographs, kana, hangul: words without spaces

// Appends the folded form of `c` (length may differ from the original).
void append_folded(const Char& c, std::string& out);

// A phrase or cue as matched: folded, ignorable characters dropped, white space runs
// collapsed to one space, trimmed.
std::string fold_phrase(std::string_view phrase);

}  // namespace warden::policy::text
