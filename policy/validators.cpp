#include "policy/validators.h"

#include <arpa/inet.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "policy/checksums.h"

namespace warden::policy {

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_word_byte(char c) {
  return is_ascii_alnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

namespace {

std::string digits_of(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

// The decimal digits of a value, without allocating: at most `Max`; `overflow` when the
// value has more.
template <size_t Max>
struct Digits {
  char bytes[Max];
  size_t size = 0;
  bool overflow = false;
  explicit Digits(std::string_view s) {
    for (char c : s) {
      if (c < '0' || c > '9') continue;
      if (size == Max) {
        overflow = true;
        return;
      }
      bytes[size++] = c;
    }
  }
  std::string_view view() const { return std::string_view(bytes, size); }
};

// std::tolower in the "C" locale (the gateway never sets another).
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool equals_lowered(std::string_view s, std::string_view lowercase) {
  if (s.size() != lowercase.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (ascii_lower(s[i]) != lowercase[i]) return false;
  return true;
}

bool contains_lowered(std::string_view s, std::string_view lowercase) {
  if (s.size() < lowercase.size()) return false;
  for (size_t i = 0; i + lowercase.size() <= s.size(); ++i)
    if (equals_lowered(s.substr(i, lowercase.size()), lowercase)) return true;
  return false;
}

int small_number(std::string_view digits) {  // at most 4 ASCII digits
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// Separators between digit groups must all be the same character (or absent).
bool consistent_separators(std::string_view s) {
  char sep = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') continue;
    if (sep == 0) sep = c;
    if (c != sep) return false;
  }
  return true;
}

bool looks_like_placeholder_value(std::string_view v) {
  static constexpr std::array<std::string_view, 14> kPlaceholders = {
      "null", "none", "true", "false", "undefined", "redacted", "xxxx", "****", "changeit",
      "your_password", "password", "<password>", "example", "secret"};
  for (auto p : kPlaceholders) {
    if (equals_lowered(v, p)) return true;
  }
  if (v.find("${") != std::string_view::npos || v.find("{{") != std::string_view::npos) return true;
  if (contains_lowered(v, "xxxx") || v.find("****") != std::string_view::npos) return true;
  if (!v.empty() && v.front() == '<' && v.back() == '>') return true;
  if (!v.empty() && v.front() == '$') return true;  // environment reference
  return std::all_of(v.begin(), v.end(), [&](char c) { return ascii_lower(c) == ascii_lower(v[0]); });
}

}  // namespace

bool validate_email(Candidate& c) {
  std::string_view v = c.value();
  size_t at = v.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view local = v.substr(0, at);
  std::string_view domain = v.substr(at + 1);
  if (local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  if (domain.find("..") != std::string_view::npos) return false;
  if (c.before(1) == '@' || c.before(1) == '.') return false;
  // user:password@host inside a URL is not a mailbox.
  for (size_t i = c.value_start, steps = 0; i > 0 && steps < 256; --i, ++steps) {
    char ch = c.text[i - 1];
    if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '"' || ch == '<') break;
    if (ch == '/' && i >= 2 && c.text[i - 2] == '/') return false;
  }
  return domain.find('.') != std::string_view::npos;
}

bool validate_url(Candidate& c) {
  // Trailing punctuation belongs to the sentence, not to the URL.
  while (c.value_end > c.value_start) {
    char last = c.text[c.value_end - 1];
    if (last == '.' || last == ',' || last == ';' || last == ':' || last == '!' ||
        last == '?' || last == '\'' || last == '*') {
      --c.value_end;
      continue;
    }
    if (last == ')' || last == ']' || last == '}') {
      char open = last == ')' ? '(' : last == ']' ? '[' : '{';
      std::string_view v = c.value();
      if (std::count(v.begin(), v.end(), open) < std::count(v.begin(), v.end(), last)) {
        --c.value_end;
        continue;
      }
    }
    break;
  }
  std::string_view v = c.value();
  size_t scheme = v.find("://");
  size_t host_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t host_end = v.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = v.size();
  std::string_view authority = v.substr(host_start, host_end - host_start);
  if (authority.empty()) return false;
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos && colon < at && at > colon + 1) {
      c.score = std::max(c.score, 0.95);
      c.extra_type = kPassword;
      c.extra_start = c.value_start + host_start + colon + 1;
      c.extra_end = c.value_start + host_start + at;
    }
  }
  return true;
}

bool validate_ipv4(Candidate& c) {
  if (c.before(1) == '.' || c.before(1) == '-') return false;
  if ((c.after(1) == '.' || c.after(1) == '-') && c.after(2) >= '0' && c.after(2) <= '9')
    return false;
  std::string_view v = c.value();
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    size_t dot = v.find('.', pos);
    std::string_view octet = v.substr(pos, dot == std::string_view::npos ? v.npos : dot - pos);
    if (octet.empty() || octet.size() > 3) return false;
    if (octet.size() > 1 && octet[0] == '0') return false;
    for (char ch : octet)
      if (ch < '0' || ch > '9') return false;  // the pattern's \d: never taken
    if (small_number(octet) > 255) return false;
    pos = dot + 1;
  }
  return true;
}

bool validate_ipv6(Candidate& c) {
  while (c.value_end > c.value_start && c.text[c.value_end - 1] == '.') --c.value_end;
  char prev = c.before(1);
  if (std::isxdigit(static_cast<unsigned char>(prev)) || prev == ':' || prev == '.' ||
      is_word_byte(prev))
    return false;
  char next = c.after(1);
  if (is_word_byte(next) || next == ':') return false;
  std::string v(c.value());
  if (std::count(v.begin(), v.end(), ':') < 2) return false;
  if (std::none_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return false;
  unsigned char buf[16];
  return inet_pton(AF_INET6, v.c_str(), buf) == 1;
}

bool validate_credit_card(Candidate& c) {
  std::string_view v = c.value();
  if (!consistent_separators(v)) return false;
  if (is_ascii_alnum(c.after(1)) || is_ascii_alnum(c.before(1))) return false;
  if ((c.before(1) == '-' || c.before(1) == '.') && is_ascii_alnum(c.before(2))) return false;
  const Digits<19> digits(v);
  const std::string_view d = digits.view();
  if (digits.overflow || d.size() < 13) return false;
  if (std::all_of(d.begin(), d.end(), [&](char ch) { return ch == d[0]; })) return false;
  if (!luhn_valid(d)) return false;
  if (card_issuer(d).empty()) return false;
  return true;
}

bool validate_iban(Candidate& c) {
  // The pattern may run on into the next word ("DE89 ... 00 2024"): take exactly the
  // country's length, then require the IBAN to end there.
  std::string_view v = c.value();
  const int expected = iban_length(v.substr(0, 2));
  if (expected == 0) return false;
  char compact[64];
  size_t size = 0;
  size_t i = 0;
  for (; i < v.size() && static_cast<int>(size) < expected && size < sizeof(compact); ++i) {
    if (v[i] == ' ') {
      if (size % 4 != 0) return false;  // printed IBANs group by four
      continue;
    }
    compact[size++] = v[i];
  }
  if (static_cast<int>(size) != expected) return false;
  c.value_end = c.value_start + i;
  if (is_ascii_alnum(c.after(1))) return false;
  return iban_valid(std::string_view(compact, size));
}

bool validate_ssn(Candidate& c) {
  std::string_view v = c.value();
  if (!consistent_separators(v)) return false;
  if (is_ascii_alnum(c.after(1)) || c.before(1) == '-' || c.after(1) == '-') return false;
  const Digits<9> digits(v);
  const std::string_view d = digits.view();
  if (digits.overflow || d.size() != 9) return false;
  const int area = small_number(d.substr(0, 3));
  const int group = small_number(d.substr(3, 2));
  const int serial = small_number(d.substr(5, 4));
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return false;
  if (d == "078051120" || d == "219099999" || d == "123456789") return false;
  bool dashed = v.find('-') != std::string_view::npos;
  bool spaced = v.find(' ') != std::string_view::npos;
  c.score = dashed ? 0.85 : spaced ? 0.55 : 0.35;
  return true;
}

bool validate_birth_date(Candidate& c) {
  std::string_view v = c.value();
  std::string d = digits_of(v);
  // Numeric forms: find year (4 digits) and check day/month ranges where determinable.
  bool has_letters = std::any_of(v.begin(), v.end(), [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)); });
  if (!has_letters) {
    int a = 0, b = 0, y = 0;
    if (v.size() >= 10 && v[4] == '-') {  // ISO yyyy-mm-dd
      y = std::stoi(d.substr(0, 4));
      a = std::stoi(d.substr(6, 2));
      b = std::stoi(d.substr(4, 2));
    } else {
      size_t s1 = v.find_first_of("./-");
      size_t s2 = v.find_first_of("./-", s1 + 1);
      if (s1 == std::string_view::npos || s2 == std::string_view::npos) return false;
      a = std::stoi(std::string(v.substr(0, s1)));
      b = std::stoi(std::string(v.substr(s1 + 1, s2 - s1 - 1)));
      y = std::stoi(std::string(v.substr(s2 + 1)));
      if (a > 12 && b > 12) return false;
    }
    if (a < 1 || a > 31 || b < 1 || b > 31) return false;
    if (std::min(a, b) > 12) return false;
    if (y >= 100 && (y < 1900 || y > 2030)) return false;
  } else {
    if (d.size() < 5) return false;  // day + four-digit year
  }
  return true;
}

bool validate_person(Candidate& c) {
  static constexpr std::string_view kNotNames[] = {
      "World", "Bot", "Again", "Mr", "Mrs", "Ms", "Mx", "Miss", "Dr", "Prof", "Herr", "Frau",
      "Mme", "Mlle", "Monsieur", "Madame", "Sr", "Sra", "Srta", "Sig", "Signor", "Signora",
      "Dhr", "Mevr", "Mevrouw",
      "Team", "All", "Everyone", "There", "Sir", "Madam", "Folks", "Guys", "Customer",
      "User", "Admin", "Support", "Sales", "Colleagues", "Friends", "Hello", "Thanks",
      "Regards", "Dear", "The", "This", "Please", "Manager", "Client",
      // Objects of the verb cues ("ask Support", "met Monday", "thank You") that are no names.
      "You", "Us", "Them", "Him", "Her", "Me", "Anyone", "Someone", "Somebody", "Nobody",
      "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Today",
      "Tomorrow", "Yesterday", "Security", "Marketing", "Finance", "Legal", "Engineering",
      "Operations", "Helpdesk", "Service", "Services", "Reception", "Accounting", "Billing"};
  std::string_view v = c.value();
  // Drop a trailing partial word break such as "John Smith " (regex keeps it tight).
  size_t space = v.find(' ');
  std::string_view first = v.substr(0, space);
  for (auto w : kNotNames) {
    if (first == w) return false;
  }
  if (first.size() < 2) return false;
  if (is_word_byte(c.after(1))) return false;
  return true;
}

bool validate_btc(Candidate& c) {
  std::string_view v = c.value();
  if (is_word_byte(c.after(1)) || is_word_byte(c.before(1))) return false;
  if (v.size() > 3 && (v.substr(0, 3) == "bc1" || v.substr(0, 3) == "BC1"))
    return btc_bech32_valid(v);
  return btc_base58_valid(v);
}

bool validate_aws_secret(Candidate& c) {
  std::string_view v = c.value();
  bool upper = false, lower_c = false, digit = false;
  for (char ch : v) {
    upper |= ch >= 'A' && ch <= 'Z';
    lower_c |= ch >= 'a' && ch <= 'z';
    digit |= ch >= '0' && ch <= '9';
  }
  return upper && lower_c && (digit || v.find('/') != v.npos || v.find('+') != v.npos) &&
         entropy_at_least(v, 3.5);
}

bool validate_jwt(Candidate& c) {
  std::string_view v = c.value();
  size_t dot = v.find('.');
  if (dot == std::string_view::npos) return false;
  std::string header(v.substr(0, dot));
  unsigned char decoded[512];
  size_t decoded_len = 0;
  if (header.size() > 600) return false;
  if (sodium_base642bin(decoded, sizeof(decoded), header.data(), header.size(), nullptr,
                        &decoded_len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return false;
  std::string_view json(reinterpret_cast<const char*>(decoded), decoded_len);
  return json.find("\"alg\"") != std::string_view::npos ||
         json.find("\"typ\"") != std::string_view::npos;
}

bool validate_api_key(Candidate& c) {
  std::string_view v = c.value();
  if (looks_like_placeholder_value(v)) return false;
  bool letter = false, digit = false;
  for (char ch : v) {
    letter |= (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');  // std::isalpha, "C" locale
    digit |= ch >= '0' && ch <= '9';
  }
  if (!letter || !digit) return false;
  return entropy_at_least(v, 3.2);
}

bool validate_password(Candidate& c) {
  std::string_view v = c.value();
  if (looks_like_placeholder_value(v)) return false;
  return true;
}

bool validate_token_boundary(Candidate& c) {
  return !is_word_byte(c.after(1)) && !is_word_byte(c.before(1));
}

}  // namespace warden::policy
