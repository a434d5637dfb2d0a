#include "policy/text_fold.h"

#include "core/utf8.h"

namespace warden::policy::text {

Char decode(std::string_view s, size_t i) {
  const std::string_view rest = s.substr(i);
  const size_t len = core::utf8_sequence_length(rest);
  const auto b0 = static_cast<unsigned char>(rest[0]);
  if (len == 0) return Char{b0, 1, false};
  switch (len) {
    case 1: return Char{b0, 1, true};
    case 2: return Char{static_cast<char32_t>(((b0 & 0x1F) << 6) | (static_cast<unsigned char>(rest[1]) & 0x3F)), 2, true};
    case 3:
      return Char{static_cast<char32_t>(((b0 & 0x0F) << 12) | ((static_cast<unsigned char>(rest[1]) & 0x3F) << 6) |
                                        (static_cast<unsigned char>(rest[2]) & 0x3F)),
                  3, true};
    default:
      return Char{static_cast<char32_t>(((b0 & 0x07) << 18) | ((static_cast<unsigned char>(rest[1]) & 0x3F) << 12) |
                                        ((static_cast<unsigned char>(rest[2]) & 0x3F) << 6) |
                                        (static_cast<unsigned char>(rest[3]) & 0x3F)),
                  4, true};
  }
}

bool truncated_at(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t need = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) need = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF) need = 3;
  else if (b0 >= 0xF0 && b0 <= 0xF4) need = 4;
  if (need == 0 || i + need <= s.size()) return false;
  for (size_t k = i + 1; k < s.size(); ++k) {
    if (!is_continuation(s[k])) return false;
  }
  return true;
}

size_t previous_start(std::string_view s, size_t i) {
  size_t p = i - 1;
  const size_t floor = i >= 4 ? i - 4 : 0;
  while (p > floor && is_continuation(s[p])) --p;
  // Only a real sequence counts as one character; otherwise step back one byte.
  if (p + core::utf8_sequence_length(s.substr(p)) == i) return p;
  return i - 1;
}

bool is_space(char32_t cp) {
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return true;
  if (cp < 0x80) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_ignorable(char32_t cp) {
  return cp == 0xAD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF || cp == 0x180E;
}

bool is_word(const Char& c) {
  const char32_t cp = c.cp;
  if (!c.valid) return false;
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
  }
  if (cp <= 0xBF) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
  if (cp == 0xD7 || cp == 0xF7) return false;
  if (is_space(cp) || is_ignorable(cp)) return false;
  if (cp >= 0x2000 && cp <= 0x206F) return false;  // general punctuation
  if (cp >= 0x20A0 && cp <= 0x20CF) return false;  // currency
  if (cp >= 0x2190 && cp <= 0x2BFF) return false;  // arrows, maths, box drawing, shapes, dingbats
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xE000 && cp <= 0xF8FF) return false;  // private use
  if (cp >= 0xFE30 && cp <= 0xFE6F) return false;  // compatibility and small forms
  if ((cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
      (cp >= 0xFF5B && cp <= 0xFF65))
    return false;  // fullwidth punctuation
  if (cp >= 0xFFF0 && cp <= 0xFFFF) return false;
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;  // emoji and pictographs
  return true;
}

bool is_standalone(char32_t cp) {
  return (cp >= 0x2E80 && cp <= 0x2FFF) || (cp >= 0x3040 && cp <= 0x31FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFF66 && cp <= 0xFF9F) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

namespace {

char32_t fold_code_point(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;
  if (cp >= 0x100 && cp <= 0x17F) {
    if (cp == 0x130 || cp == 0x131) return 'i';
    if (cp == 0x178) return 0xFF;
    if (cp == 0x17F) return 's';
    const bool even_upper = (cp <= 0x137) || (cp >= 0x14A && cp <= 0x177);
    const bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (even_upper && cp % 2 == 0) return cp + 1;
    if (odd_upper && cp % 2 == 1) return cp + 1;
    return cp;
  }
  if (cp >= 0x386 && cp <= 0x3A9) {
    if (cp == 0x386) return 0x3AC;
    if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
    if (cp == 0x38C) return 0x3CC;
    if (cp == 0x38E || cp == 0x38F) return cp + 63;
    if (cp >= 0x391 && cp != 0x3A2) return cp + 0x20;
    return cp;
  }
  if (cp == 0x3C2) return 0x3C3;  // final sigma
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  if (cp >= 0xFF01 && cp <= 0xFF5E) return fold_code_point(cp - 0xFEE0);  // fullwidth ASCII
  return cp;
}

}  // namespace

void append_folded(const Char& c, std::string& out) {
  if (!c.valid) {
    out.push_back(static_cast<char>(c.cp));
    return;
  }
  if (c.cp == 0xDF) {  // ß
    out += "ss";
    return;
  }
  core::utf8_append(out, fold_code_point(c.cp));
}

std::string fold_phrase(std::string_view phrase) {
  std::string out;
  bool pending_space = false;
  for (size_t i = 0; i < phrase.size();) {
    const Char c = decode(phrase, i);
    i += c.length;
    if (c.valid && is_ignorable(c.cp)) continue;
    if (c.valid && is_space(c.cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    append_folded(c, out);
  }
  return out;
}

}  // namespace warden::policy::text
