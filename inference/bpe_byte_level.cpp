#include "inference/bpe_byte_level.h"

#include <vector>

#include "core/utf8.h"
#include "inference/pretokenizer_unicode.h"

namespace warden::inference {
namespace {

struct Alphabet {
  std::array<char32_t, 256> char_of_byte{};
  std::array<std::string, 256> spelling{};
  std::vector<int> byte_of_char;  // indexed by code point (< 324), -1 when not in the alphabet
};

// Printable Latin-1 bytes stand for themselves; the other 68 bytes are shifted to U+0100...
const Alphabet& alphabet() {
  static const Alphabet a = [] {
    Alphabet r;
    r.byte_of_char.assign(512, -1);
    int shifted = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char32_t c = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + shifted++);
      r.char_of_byte[b] = c;
      core::utf8_append(r.spelling[b], c);
      r.byte_of_char[c] = b;
    }
    return r;
  }();
  return a;
}

}  // namespace

char32_t byte_level_char(unsigned char b) { return alphabet().char_of_byte[b]; }

const std::string& byte_level_spelling(unsigned char b) { return alphabet().spelling[b]; }

std::optional<std::string> byte_level_to_bytes(std::string_view spelled) {
  const Alphabet& a = alphabet();
  if (!core::utf8_valid(spelled)) return std::nullopt;
  std::string bytes;
  size_t pos = 0;
  while (pos < spelled.size()) {
    size_t len = 0;
    char32_t c = decode_utf8_at(spelled, pos, len);
    if (c >= a.byte_of_char.size() || a.byte_of_char[c] < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(a.byte_of_char[c]));
    pos += len;
  }
  return bytes;
}

}  // namespace warden::inference
