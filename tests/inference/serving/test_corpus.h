// Deterministic multilingual text corpus for tokenizer tests and speed figures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace warden::inference::testing {

// `line_count` lines mixing Latin, CJK, kana, Hangul, Cyrillic, Greek, Arabic, Hebrew,
// Devanagari, Thai, emoji (with ZWJ sequences, skin tones, flags), combining marks,
// whitespace runs (tabs, CR/LF, no-break and ideographic spaces), digit runs, code,
// punctuation runs, text resembling special tokens, and random code points.
// U+0085 and U+FEFF are left out: \s differs there between JavaScript and Oniguruma.
std::vector<std::string> make_tokenizer_corpus(uint64_t seed, size_t line_count);

}  // namespace warden::inference::testing
