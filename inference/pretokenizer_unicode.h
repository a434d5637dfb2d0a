// Unicode character classes used by the pre-tokenizer's hand-written scanners.
//
// Why not a regex engine: the DeepSeek split pattern needs a lookahead (`\s+(?!\S)`) that
// RE2 cannot express, and scanning with one flat class table is several times faster than
// running three regexes over every piece. The table comes from a generated range list
// (pretokenizer_unicode_tables.cpp, see tests/inference/serving/tools/gen_unicode_tables.js).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace warden::inference {

// Bit flags of the general categories the patterns name (\p{L}, \p{M}, ...) and of \s.
enum UnicodeClass : uint8_t {
  kLetter = 1 << 0,       // \p{L}
  kMark = 1 << 1,         // \p{M}
  kNumber = 1 << 2,       // \p{N}
  kPunctuation = 1 << 3,  // \p{P}
  kSymbol = 1 << 4,       // \p{S}
  kSpace = 1 << 5,        // \s: Unicode White_Space (as Oniguruma matches it)
};

struct CodePointRange {
  uint32_t first = 0;
  uint32_t last = 0;
  uint8_t flags = 0;
};

namespace unicode_tables {
extern const CodePointRange kRanges[];
extern const size_t kRangeCount;
}  // namespace unicode_tables

// Class flags of a code point (0 for unassigned, controls, surrogates, out of range).
uint8_t unicode_class(char32_t code_point);

// Decodes the UTF-8 character at text[pos] (text must be valid UTF-8) and returns its code
// point; `length` receives its byte length.
inline char32_t decode_utf8_at(std::string_view text, size_t pos, size_t& length) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  if (s[0] < 0x80) {
    length = 1;
    return s[0];
  }
  if (s[0] < 0xE0) {
    length = 2;
    return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
  }
  if (s[0] < 0xF0) {
    length = 3;
    return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
  }
  length = 4;
  return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
}

}  // namespace warden::inference
