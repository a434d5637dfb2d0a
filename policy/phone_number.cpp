// Phone number validation: international (+CC / 00CC) numbers checked against the
// national significant number lengths of common countries, and national formats of
// US, UK, DE, FR, ES, IT and NL. Dates, times, ISBNs and glued identifiers are refused.
#include <array>
#include <cstdint>
#include <string_view>

#include "policy/validators.h"

namespace warden::policy {
namespace {

struct CountryRule {
  const char* code;
  int min_nsn;
  int max_nsn;
};

// National significant number lengths (digits after the country code).
constexpr std::array<CountryRule, 34> kCountries = {{
    {"1", 10, 10},   {"44", 9, 10},   {"49", 6, 13},  {"33", 9, 9},   {"34", 9, 9},
    {"39", 6, 11},   {"31", 9, 9},    {"32", 8, 9},   {"41", 9, 9},   {"43", 7, 13},
    {"45", 8, 8},    {"46", 7, 10},   {"47", 8, 8},   {"48", 9, 9},   {"351", 9, 9},
    {"353", 7, 9},   {"358", 6, 11},  {"30", 10, 10}, {"36", 8, 9},   {"420", 9, 9},
    {"7", 10, 10},   {"61", 9, 9},    {"64", 8, 10},  {"81", 9, 10},  {"82", 8, 10},
    {"86", 10, 11},  {"91", 10, 10},  {"55", 10, 11}, {"52", 10, 10}, {"27", 9, 9},
    {"971", 8, 9},   {"972", 8, 9},   {"65", 8, 8},   {"90", 10, 10},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// kCountries by code: [code value] for one-digit codes, [10 + value] for two digits, [110 +
// value] for three; rule index + 1, 0 for none.
struct CountryIndex {
  std::array<uint8_t, 1110> rule{};
  CountryIndex() {
    for (size_t k = 0; k < kCountries.size(); ++k) rule[slot(kCountries[k].code)] = static_cast<uint8_t>(k + 1);
  }
  static size_t slot(std::string_view code) {
    size_t value = 0;
    for (char c : code) value = value * 10 + static_cast<size_t>(c - '0');
    return (code.size() == 1 ? 0 : code.size() == 2 ? 10 : 110) + value;
  }
};
const CountryIndex kCountryIndex;

// Digit groups of a value, as views into it (a value is at most a few dozen bytes: no
// allocation per candidate).
struct DigitGroups {
  static constexpr size_t kMax = 64;
  std::array<std::string_view, kMax> group;
  size_t count = 0;
  size_t size() const { return count; }
  bool empty() const { return count == 0; }
  const std::string_view& operator[](size_t i) const { return group[i]; }
};

// Splits the value into digit groups; returns false on unbalanced parentheses (or more
// groups than any phone number has).
bool digit_groups(std::string_view v, DigitGroups& groups) {
  int open = 0;
  size_t start = std::string_view::npos;
  auto close_group = [&](size_t end) {
    if (start == std::string_view::npos) return true;
    if (groups.count == DigitGroups::kMax) return false;
    groups.group[groups.count++] = v.substr(start, end - start);
    start = std::string_view::npos;
    return true;
  };
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (is_digit(c)) {
      if (start == std::string_view::npos) start = i;
      continue;
    }
    if (c == '(') ++open;
    if (c == ')' && --open < 0) return false;
    if (!close_group(i)) return false;
  }
  if (!close_group(v.size())) return false;
  return open == 0;
}

bool looks_like_date(const DigitGroups& g, std::string_view v) {
  if (g.size() != 3) return false;
  if (v.find(' ') != std::string_view::npos && v.find_first_of("./") == std::string_view::npos)
    return false;
  auto sz = [&](size_t i) { return g[i].size(); };
  if (sz(0) == 4 && sz(1) <= 2 && sz(2) <= 2) return true;
  if (sz(0) <= 2 && sz(1) <= 2 && (sz(2) == 4 || sz(2) == 2)) return true;
  return false;
}

bool nanp_ok(std::string_view ten) {
  return ten.size() == 10 && ten[0] >= '2' && ten[3] >= '2';
}

bool validate_phone_once(Candidate& c);

}  // namespace

// Leftmost-longest matching can run on into a following number ("call 372 065 9735.
// 2024-03-15"): retry without the last digit group while enough digits remain.
bool validate_phone(Candidate& c) {
  const size_t original_end = c.value_end;
  for (int attempt = 0; attempt < 4; ++attempt) {
    Candidate trial = c;
    if (validate_phone_once(trial)) {
      c = trial;
      return true;
    }
    size_t e = c.value_end;
    while (e > c.value_start && c.text[e - 1] >= '0' && c.text[e - 1] <= '9') --e;  // last group
    while (e > c.value_start && !(c.text[e - 1] >= '0' && c.text[e - 1] <= '9')) --e;  // separators
    int digits = 0;
    for (size_t i = c.value_start; i < e; ++i) digits += c.text[i] >= '0' && c.text[i] <= '9';
    if (digits < 7) break;
    c.value_end = e;
  }
  c.value_end = original_end;
  return false;
}

namespace {

bool validate_phone_once(Candidate& c) {
  // Split off an extension ("x123", "ext. 45", "extension 7").
  std::string_view v = c.value();
  size_t ext = v.find_first_of("xe#");
  std::string_view main = ext == std::string_view::npos ? v : v.substr(0, ext);
  while (!main.empty() && (main.back() == ' ' || main.back() == '-')) main.remove_suffix(1);
  if (main.empty()) return false;

  // Without "+" or "00" only a national format may accept, and each has 9 to 13 digits: the
  // count alone refuses the rest (a card number, a short code) before the checks below.
  if (main[0] != '+' && main.substr(0, 2) != "00") {
    size_t count = 0;
    for (char ch : main) count += is_digit(ch);
    if (count < 9 || count > 13) return false;
  }

  char prev = c.before(1);
  if (is_word_byte(prev) || prev == '-' || prev == '.' || prev == '/' || prev == '_' ||
      prev == '+' || prev == '#' || prev == ':' || prev == '=' || prev == '$' || prev == '@')
    return false;
  if (prev == ' ' && c.before(2) >= '0' && c.before(2) <= '9' && main[0] != '+' && main[0] != '(')
    return false;  // middle of a longer digit run
  char next = c.after(1);
  if (is_word_byte(next) || next == '@' || next == '%' || next == '/') return false;
  if ((next == '-' || next == '.' || next == ':' || next == ',') && is_digit(c.after(2)))
    return false;

  DigitGroups groups;
  if (!digit_groups(main, groups) || groups.empty()) return false;
  if (looks_like_date(groups, main)) return false;
  if (main.find(':') != std::string_view::npos) return false;
  // Mixed separators other than a parenthesised area code are a sign of something else.
  bool has_dot = main.find('.') != std::string_view::npos;
  bool has_dash = main.find('-') != std::string_view::npos;
  bool has_slash = main.find('/') != std::string_view::npos;
  if (has_dot + has_dash + has_slash > 1) return false;
  size_t sep_count = 0;
  for (char ch : main) sep_count += (ch == ' ' || ch == '-' || ch == '.' || ch == '/');

  char digit_bytes[DigitGroups::kMax * 2];
  size_t digit_count = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (digit_count + groups[i].size() > sizeof(digit_bytes)) return false;
    for (char d : groups[i]) digit_bytes[digit_count++] = d;
  }
  const std::string_view digits(digit_bytes, digit_count);

  const bool plus = main[0] == '+';
  const bool double_zero = !plus && digits.size() > 2 && digits[0] == '0' && digits[1] == '0' &&
                           main.substr(0, 2) == "00";
  if (plus || double_zero) {
    std::string_view rest = double_zero ? digits.substr(2) : digits;
    // "+44 (0)20 ..." writes the national trunk prefix in parentheses; drop it.
    char trunkless[sizeof(digit_bytes)];
    size_t trunk = main.find("(0)");
    if (trunk != std::string_view::npos) {
      size_t zeros_before = 0;
      for (size_t i = 0; i < trunk; ++i) zeros_before += is_digit(main[i]);
      if (double_zero) zeros_before -= 2;
      if (zeros_before <= rest.size()) {
        // rest without the byte at zeros_before (std::string::erase(pos, 1) semantics)
        const size_t removed = zeros_before < rest.size() ? 1 : 0;
        size_t k = 0;
        for (size_t i = 0; i < rest.size(); ++i)
          if (!(removed && i == zeros_before)) trunkless[k++] = rest[i];
        rest = std::string_view(trunkless, k);
      }
    }
    // The rules whose code starts `rest` (at most one per code length); any of them may accept.
    for (size_t code_len = 1; code_len <= 3 && code_len <= rest.size(); ++code_len) {
      const uint8_t found = kCountryIndex.rule[CountryIndex::slot(rest.substr(0, code_len))];
      if (found == 0) continue;
      const CountryRule& rule = kCountries[found - 1u];
      std::string_view code = rule.code;
      int nsn = static_cast<int>(rest.size() - code.size());
      if (nsn < rule.min_nsn || nsn > rule.max_nsn) continue;
      if (code == "1" && !nanp_ok(rest.substr(1))) continue;
      if (rest[code.size()] == '0' && code != "39") continue;  // no trunk zero after +CC
      c.score = 0.85;
      return true;
    }
    if (rest.size() >= 8 && rest.size() <= 15 && groups.size() >= 2 && rest[0] != '0') {
      c.score = 0.6;
      return true;
    }
    return false;
  }

  const size_t n = digits.size();
  const bool separated = sep_count > 0 || main[0] == '(';
  // ISBN-13 and EAN-13 style numbers.
  if (n == 13 && (digits.substr(0, 3) == "978" || digits.substr(0, 3) == "979")) return false;

  // US / NANP: (AAA) EEE-NNNN, AAA-EEE-NNNN, AAA.EEE.NNNN, AAA EEE NNNN.
  // IT mobiles: 3xx xxx xxxx.
  if (n == 10 && digits[0] == '3' && groups.size() >= 2 && groups[0].size() == 3) {
    c.score = 0.6;
    return true;
  }
  if (n == 10 && nanp_ok(digits) && digits[0] != '0') {
    bool us_groups = groups.size() == 3 && groups[0].size() == 3 && groups[1].size() == 3 &&
                     groups[2].size() == 4;
    if (us_groups) {
      c.score = main[0] == '(' ? 0.75 : 0.65;
      return true;
    }
    if (groups.size() == 1) {
      c.score = 0.4;
      return true;
    }
  }
  // ES: nine digits starting 6, 7, 8 or 9 (912 345 678, 612 34 56 78).
  if (n == 9 && digits[0] >= '6' && digits[0] <= '9' && separated) {
    bool es_groups = (groups.size() == 3 && groups[0].size() == 3 && groups[1].size() == 3) ||
                     (groups.size() == 4 && groups[0].size() == 3 && groups[1].size() == 2);
    if (es_groups) {
      c.score = 0.6;
      return true;
    }
  }
  // Trunk-prefixed national numbers: UK (11), FR/NL (10), DE (7-13), IT (6-11).
  if (digits[0] == '0' && digits.size() > 1 && digits[1] != '0' && n >= 9 && n <= 13) {
    bool pairs = groups.size() == 5;
    for (size_t i = 0; i < groups.size() && pairs; ++i) pairs = groups[i].size() == 2;
    if (n == 10 && pairs) {
      c.score = 0.7;  // FR: 01 23 45 67 89
      return true;
    }
    if (separated && groups.size() >= 2 && groups.size() <= 4 && groups[0].size() >= 2 &&
        groups[0].size() <= 5) {
      c.score = 0.6;
      return true;
    }
    if (!separated && (n == 10 || n == 11)) {
      c.score = 0.4;
      return true;
    }
  }
  return false;
}

}  // namespace

}  // namespace warden::policy
