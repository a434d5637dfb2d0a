// Byte-level rules behind the prefilter (StartFilter): character classes, and for each
// start shape the bytes that may come before, after and two after a match start. Internal
// to start_filter.cpp and start_filter_fast.cpp; every rule here must accept everything
// that StartFilter::shape_ok / literal_ok accept (tests compare the fast path with the
// reference loop).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "policy/builtin_patterns.h"

namespace warden::policy::start_rules {

// RE2's \b: ASCII letters, digits and '_' only.
struct ByteTables {
  std::array<bool, 256> word{};
  std::array<bool, 256> email_local{};
  std::array<bool, 256> phone{};
  std::array<bool, 256> base58{};
  std::array<unsigned char, 256> fold{};  // ASCII upper case to lower case
  ByteTables() {
    for (int c = 0; c < 256; ++c) {
      const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      word[c] = alnum || c == '_';
      email_local[c] = alnum || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
      phone[c] = (c >= '0' && c <= '9') || c == ' ' || c == '(' || c == ')' || c == '.' || c == '-' ||
                 c == '/' || c == '+';
      base58[c] = alnum && c != '0' && c != 'O' && c != 'I' && c != 'l';
      fold[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
};
inline const ByteTables kTables;

inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline unsigned char fold(unsigned char c) { return kTables.fold[c]; }
inline bool capital_start(unsigned char c) { return (c >= 'A' && c <= 'Z') || c >= 0xC0; }
// Bytes a capitalised street word ("Hauptstraße") goes on with.
inline bool street_word_byte(unsigned char c) { return (c >= 'a' && c <= 'z') || c >= 0x80 || c == '.'; }

inline constexpr std::string_view kFrenchStreetWords[] = {"rue", "avenue", "av.", "boulevard", "bd", "allée",
                                                          "impasse", "chemin", "quai", "place", "cours"};

inline bool starts_with(std::string_view text, size_t i, std::string_view lit, bool fold_case) {
  if (text.size() - i < lit.size()) return false;
  for (size_t k = 0; k < lit.size(); ++k) {
    const unsigned char a = static_cast<unsigned char>(text[i + k]), b = static_cast<unsigned char>(lit[k]);
    if (fold_case ? fold(a) != fold(b) : a != b) return false;
  }
  return true;
}

// Non-word bytes the SIMD pass keeps besides word starts; a pattern starting at any other
// non-word byte turns the fast path off (StartFilter::fast_ok_).
inline bool simd_special(unsigned char c) { return c == '+' || c == '(' || c == ':' || c == '@' || c >= 0xC0; }

// The byte after a match start's first (non-digit) byte, per shape. 0 stands for the end
// of the text.
inline bool second_byte_ok(const StartRule& rule, unsigned char first, unsigned char second) {
  const bool digit = is_digit(second);
  const bool lower = second >= 'a' && second <= 'z';
  const bool upper = second >= 'A' && second <= 'Z';
  switch (rule.shape) {
    case StartShape::kCardLike:
      return rule.min_digits <= 1 || digit || second == ' ' || second == '-';
    case StartShape::kIpv4:
      return digit || second == '.';
    case StartShape::kIpv6:
      return is_hex(second) || second == ':' || second == '.';
    case StartShape::kPhone:
      return kTables.phone[second];
    case StartShape::kStreetNumber:
      return digit || lower || upper || second == ' ';
    case StartShape::kFrenchStreet:
      return digit || second == ' ' || second == ',' || second == 'b' || second == 't';
    case StartShape::kCompoundStreet:
      return street_word_byte(second);
    case StartShape::kCrypto:
      if (first == 'b' || first == 'B') return second == 'c' || second == 'C';
      return kTables.base58[second];
    case StartShape::kSsn:
      return digit;
    case StartShape::kIban:
      return upper;
    case StartShape::kAny:
    case StartShape::kLiterals:
    case StartShape::kCue:
    case StartShape::kEmail:
      return true;
  }
  return true;
}

// At a digit: `run`, the length of the run of digits there (at least 1; `longer`: or
// more), then the two bytes after it (`after` is not a digit; 0 past the end of the text).
inline bool digit_run_ok(const StartRule& rule, size_t run, bool longer, unsigned char after, unsigned char after2) {
  const bool separator = after == ' ' || after == '-';
  const bool hex_walk = is_hex(after2) || after2 == ':' || after2 == '.';
  switch (rule.shape) {
    case StartShape::kCardLike:
      return run >= static_cast<size_t>(std::max(rule.min_digits, 0)) || (separator && is_digit(after2));
    case StartShape::kSsn:
      return !longer && (run == 9 || ((run == 3 || run == 5) && separator && is_digit(after2)));
    case StartShape::kIpv4:
      return !longer && run <= 3 && after == '.' && is_digit(after2);
    case StartShape::kIpv6:  // a ':' must follow within the walk over hex digits, '.' and ':'
      return (is_hex(after) || after == ':' || after == '.') && hex_walk;
    case StartShape::kPhone:  // 7 digits among phone characters
      return run >= 7 || (kTables.phone[after] && kTables.phone[after2]);
    case StartShape::kStreetNumber: {  // \d{1,5}[A-Za-z]?[ ]Capital
      const bool letter = (after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z');
      return !longer && run <= 5 && ((letter && after2 == ' ') || (after == ' ' && capital_start(after2)));
    }
    case StartShape::kFrenchStreet: {  // \d{1,4}(?:[ ]?(?:bis|ter))?,?[ ]street-word
      if (longer || run > 4) return false;
      if (after == 'b') return after2 == 'i';
      if (after == 't') return after2 == 'e';
      if (after == ',') return after2 == ' ';
      if (after != ' ') return false;
      if (after2 == 'b' || after2 == 't') return true;
      for (std::string_view w : kFrenchStreetWords)
        if (fold(after2) == fold(static_cast<unsigned char>(w[0]))) return true;
      return false;
    }
    case StartShape::kCrypto:  // the first byte, then 25 base58 characters
      return longer || run >= 26 || (kTables.base58[after] && (run + 1 >= 26 || kTables.base58[after2]));
    default:
      return true;
  }
}

// The byte two after a match start's first (non-digit) byte, whatever the second.
inline bool third_byte_ok(const StartRule& rule, unsigned char first, unsigned char third) {
  switch (rule.shape) {
    case StartShape::kIpv6:  // "::" settles it; otherwise the walk must go on to a ':'
      return first == ':' || is_hex(third) || third == ':' || third == '.';
    case StartShape::kIban:
      return is_digit(third);
    case StartShape::kCrypto:
      return first == 'b' || first == 'B' ? third == '1' : kTables.base58[third];
    case StartShape::kPhone:
      return kTables.phone[third];
    case StartShape::kCompoundStreet:  // the word is longer than any suffix
      return street_word_byte(third);
    default:
      return true;
  }
}

// Bytes before a phone number that its validator refuses (a glued start).
inline bool phone_glued_prev(unsigned char prev) {
  return kTables.word[prev] || prev == '-' || prev == '.' || prev == '/' || prev == '+' || prev == '#' ||
         prev == ':' || prev == '=' || prev == '$' || prev == '@';
}

// The byte before the start (0 at the start of the text), as the pattern's regex (\b) and
// its validator accept it: a start they refuse is no candidate.
inline bool prev_byte_ok(const StartRule& rule, unsigned char prev) {
  switch (rule.shape) {
    case StartShape::kIpv6:  // validate_ipv6: no hex digit, ':', '.' or word byte before
      return !(prev == ':' || prev == '.' || kTables.word[prev] || prev >= 0x80);
    case StartShape::kPhone:
      return !phone_glued_prev(prev);
    case StartShape::kIpv4:  // validate_ipv4
      return !(prev == '.' || prev == '-');
    case StartShape::kSsn:  // validate_ssn
      return prev != '-';
    case StartShape::kCrypto:  // validate_btc: no word byte (ASCII or >= 0x80) before
      return !(kTables.word[prev] || prev >= 0x80);
    default:
      return true;
  }
}

// validate_credit_card refuses a number glued to a word by '-' or '.' ("v1.4111...").
inline bool card_glued_prev(unsigned char prev, unsigned char prev2) {
  return (prev == '-' || prev == '.') && kTables.word[prev2] && prev2 != '_';
}

// The byte after a two-byte literal, as its cue rule may accept it.
inline bool short_literal_third_ok(const StartRule& rule, unsigned char third) {
  if (rule.shape != StartShape::kCue || rule.follow == CueFollow::kAny) return true;
  if (rule.follow == CueFollow::kSeparator) return third == ' ' || third == ':' || third == '=';
  return third == ' ' || third == '.' || third == ',' || third == '\r' || third == '\n' || capital_start(third);
}

// The byte after a literal's first three bytes (`third` as in the text), as literal_ok may
// accept it: the literal's own fourth byte, or what its cue rule lets follow the literal.
inline bool literal_fourth_ok(const StartRule& rule, std::string_view lit, unsigned char third,
                              unsigned char fourth) {
  if (lit.size() >= 4) {
    const unsigned char want = static_cast<unsigned char>(lit[3]);
    return rule.case_insensitive ? fold(fourth) == fold(want) : fourth == want;
  }
  if (rule.shape != StartShape::kCue || rule.follow == CueFollow::kAny) return true;
  const bool separator = rule.follow == CueFollow::kSeparator;
  auto skip = [&](unsigned char b) {
    return separator ? b == ' ' : b == ' ' || b == '.' || b == ',' || b == '\r' || b == '\n';
  };
  auto target = [&](unsigned char b) { return separator ? b == ':' || b == '=' : capital_start(b); };
  if (lit.size() == 3 || skip(third)) return skip(fourth) || target(fourth);
  return true;  // a two-byte literal whose third byte already is the target
}

}  // namespace warden::policy::start_rules
