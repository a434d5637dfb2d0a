#include "policy/start_filter.h"

#include <algorithm>

namespace warden::policy {
namespace {

// RE2's \b: ASCII letters, digits and '_' only.
struct ByteTables {
  std::array<bool, 256> word{};
  std::array<bool, 256> email_local{};
  std::array<bool, 256> phone{};
  std::array<bool, 256> base58{};
  ByteTables() {
    for (int c = 0; c < 256; ++c) {
      const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      word[c] = alnum || c == '_';
      email_local[c] = alnum || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
      phone[c] = (c >= '0' && c <= '9') || c == ' ' || c == '(' || c == ')' || c == '.' || c == '-' ||
                 c == '/' || c == '+';
      base58[c] = alnum && c != '0' && c != 'O' && c != 'I' && c != 'l';
    }
  }
};
const ByteTables kTables;

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline unsigned char fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : c; }
inline bool capital_start(unsigned char c) { return (c >= 'A' && c <= 'Z') || c >= 0xC0; }

bool starts_with(std::string_view text, size_t i, std::string_view lit, bool fold_case) {
  if (text.size() - i < lit.size()) return false;
  for (size_t k = 0; k < lit.size(); ++k) {
    unsigned char a = static_cast<unsigned char>(text[i + k]), b = static_cast<unsigned char>(lit[k]);
    if (fold_case ? fold(a) != fold(b) : a != b) return false;
  }
  return true;
}

}  // namespace

void StartFilter::add(int id, const StartRule& rule) {
  rules_.push_back(rule);
  const StartRule* r = &rules_.back();
  ++count_;
  struct MarkInteresting {
    StartFilter* self;
    ~MarkInteresting() {
      for (int c = 0; c < 256; ++c)
        self->interesting_[c] = !self->by_first_byte_[c].empty() || self->interesting_literal_[c] ||
                                (c == '@' && !self->email_ids_.empty());
    }
  } mark{this};
  auto on = [&](unsigned char c) {
    auto& list = by_first_byte_[c];
    for (const auto& e : list)
      if (e.id == id) return;
    list.push_back(Entry{id, r});
  };
  auto digits = [&] {
    for (char c = '0'; c <= '9'; ++c) on(static_cast<unsigned char>(c));
  };
  switch (rule.shape) {
    case StartShape::kAny:
      break;
    case StartShape::kLiterals:
    case StartShape::kCue:
      for (const auto& lit : r->literals) {
        if (lit.size() < 2) continue;
        const unsigned char c = static_cast<unsigned char>(lit[0]);
        const uint16_t key = static_cast<uint16_t>(fold(c) << 8 | fold(static_cast<unsigned char>(lit[1])));
        literal_staging_.emplace_back(key, LiteralEntry{id, r, &lit});
        interesting_literal_[c] = true;
        if (rule.case_insensitive && c >= 'a' && c <= 'z') interesting_literal_[c - 32] = true;
        if (rule.case_insensitive && c >= 'A' && c <= 'Z') interesting_literal_[c + 32] = true;
      }
      rebuild_literal_index();
      break;
    case StartShape::kEmail:
      email_ids_.push_back(id);
      break;
    case StartShape::kCardLike:
    case StartShape::kSsn:
    case StartShape::kIpv4:
    case StartShape::kStreetNumber:
    case StartShape::kFrenchStreet:
      digits();
      break;
    case StartShape::kIpv6:
      digits();
      for (char c : std::string_view("abcdefABCDEF:")) on(static_cast<unsigned char>(c));
      break;
    case StartShape::kPhone:
      digits();
      on('+');
      on('(');
      break;
    case StartShape::kCompoundStreet:
      for (int c = 'A'; c <= 'Z'; ++c) on(static_cast<unsigned char>(c));
      for (int c = 0xC0; c < 256; ++c) on(static_cast<unsigned char>(c));
      break;
    case StartShape::kCrypto:
      on('1');
      on('3');
      on('b');
      on('B');
      break;
    case StartShape::kIban:
      for (int c = 'A'; c <= 'Z'; ++c) on(static_cast<unsigned char>(c));
      break;
  }
}

__attribute__((always_inline)) inline bool StartFilter::shape_ok(const StartRule& rule, std::string_view text, size_t i) {
  const size_t n = text.size();
  auto at = [&](size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(text[k]) : 0; };
  switch (rule.shape) {
    case StartShape::kAny:
    case StartShape::kEmail:
      return true;
    case StartShape::kLiterals:
    case StartShape::kCue:
      return false;  // handled by literal_ok
    case StartShape::kCardLike: {
      int digits = 0;
      size_t k = i;
      while (k < n) {
        if (is_digit(text[k])) {
          if (++digits >= rule.min_digits) return true;
          ++k;
        } else if ((text[k] == ' ' || text[k] == '-') && is_digit(static_cast<char>(at(k + 1)))) {
          ++k;
        } else {
          break;
        }
      }
      return false;
    }
    case StartShape::kIpv4: {  // the whole dotted quad
      size_t k = i;
      for (int part = 0; part < 4; ++part) {
        size_t d = 0;
        while (k < n && d < 3 && is_digit(text[k])) ++k, ++d;
        if (d == 0) return false;
        if (part < 3) {
          if (at(k) != '.') return false;
          ++k;
        }
      }
      return true;
    }
    case StartShape::kIpv6: {
      // The validator refuses glued starts; a valid address has "::" or at least 7 colons.
      const unsigned char prev = i > 0 ? at(i - 1) : 0;
      if (prev == ':' || prev == '.' || kTables.word[prev]) return false;
      int colons = 0;
      bool double_colon = false;
      for (size_t k = i; k < n && k - i < 45; ++k) {
        const char c = text[k];
        if (c == ':') {
          ++colons;
          if (at(k + 1) == ':') double_colon = true;
        } else if (!is_hex(c) && c != '.') {
          break;
        }
      }
      return double_colon || colons >= 7;
    }
    case StartShape::kPhone: {
      const unsigned char prev = i > 0 ? at(i - 1) : 0;
      if (kTables.word[prev] || prev == '-' || prev == '.' || prev == '/' || prev == '+' || prev == '#' ||
          prev == ':' || prev == '=' || prev == '$' || prev == '@')
        return false;  // the validator refuses glued starts
      // yyyy-mm-dd / yyyy.mm.dd with a 19xx/20xx year: never a valid number (see validate_phone).
      if ((at(i) == '1' && at(i + 1) == '9') || (at(i) == '2' && at(i + 1) == '0')) {
        if (is_digit(static_cast<char>(at(i + 2))) && is_digit(static_cast<char>(at(i + 3))) &&
            (at(i + 4) == '-' || at(i + 4) == '.' || at(i + 4) == '/'))
          return false;
      }
      int digits = 0;
      for (size_t k = i; k < n && k - i < 27 && kTables.phone[at(k)]; ++k) {
        if (is_digit(text[k]) && ++digits >= 7) return true;
      }
      return false;
    }
    case StartShape::kStreetNumber: {
      size_t k = i;
      while (k < n && k - i < 5 && is_digit(text[k])) ++k;
      if ((at(k) >= 'A' && at(k) <= 'Z') || (at(k) >= 'a' && at(k) <= 'z')) ++k;
      // " Capital" then a lower-case letter (or a non-ASCII byte) as in "Baker Street".
      return at(k) == ' ' && capital_start(at(k + 1)) && ((at(k + 2) >= 'a' && at(k + 2) <= 'z') || at(k + 2) >= 0x80);
    }
    case StartShape::kFrenchStreet: {
      // \d{1,4}(?:[ ]?(?:bis|ter))?,?[ ] then a street word: "12 rue", "12 bis, quai"
      size_t k = i;
      while (k < n && k - i < 4 && is_digit(text[k])) ++k;
      size_t m = at(k) == ' ' ? k + 1 : k;
      if (starts_with(text, m, "bis", false) || starts_with(text, m, "ter", false)) k = m + 3;
      if (at(k) == ',') ++k;
      if (at(k) != ' ') return false;
      ++k;
      static constexpr std::string_view kStreetWords[] = {"rue", "avenue", "av.", "boulevard", "bd", "allée",
                                                          "impasse", "chemin", "quai", "place", "cours"};
      for (std::string_view w : kStreetWords)
        if (starts_with(text, k, w, true)) return true;
      return false;
    }
    case StartShape::kCompoundStreet: {
      if (!capital_start(at(i))) return false;
      size_t k = i + 1;
      while (k < n && k - i < 52 && ((at(k) >= 'a' && at(k) <= 'z') || at(k) >= 0x80 || at(k) == '.')) ++k;
      if (at(k) != ' ' || !is_digit(static_cast<char>(at(k + 1)))) return false;
      static constexpr std::string_view kSuffixes[] = {
          "straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "ring", "damm",
          "ufer", "laan", "straat", "plein", "gracht", "kade", "singel", "dijk"};
      const std::string_view word = text.substr(i, k - i);
      for (auto suffix : kSuffixes) {
        if (word.size() > suffix.size() && word.substr(word.size() - suffix.size()) == suffix) return true;
      }
      return false;
    }
    case StartShape::kCrypto: {
      if (at(i) == 'b' || at(i) == 'B') return starts_with(text, i, "bc1", true);
      size_t k = i + 1;
      while (k < n && k - i < 26 && kTables.base58[at(k)]) ++k;
      return k - i >= 26;
    }
    case StartShape::kSsn: {
      size_t k = i;
      const int groups[3] = {3, 2, 4};
      for (int g = 0; g < 3; ++g) {
        if (g > 0 && (at(k) == ' ' || at(k) == '-')) ++k;
        for (int d = 0; d < groups[g]; ++d, ++k)
          if (!is_digit(static_cast<char>(at(k)))) return false;
      }
      return !is_digit(static_cast<char>(at(k)));
    }
    case StartShape::kIban:
      return at(i + 1) >= 'A' && at(i + 1) <= 'Z' && is_digit(static_cast<char>(at(i + 2))) &&
             is_digit(static_cast<char>(at(i + 3)));
  }
  return false;
}

void StartFilter::rebuild_literal_index() {
  std::stable_sort(literal_staging_.begin(), literal_staging_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  literal_entries_.clear();
  std::fill(literal_begin_.begin(), literal_begin_.end(), 0);
  for (const auto& [key, e] : literal_staging_) {
    literal_entries_.push_back(e);
    ++literal_begin_[key + 1u];
  }
  for (size_t k = 1; k < literal_begin_.size(); ++k) literal_begin_[k] += literal_begin_[k - 1];
}

bool StartFilter::literal_ok(const LiteralEntry& e, std::string_view text, size_t i) {
  const StartRule& rule = *e.rule;
  const std::string& lit = *e.literal;
  // Cheap reject on the second byte before the full comparison (most words fail here).
  if (fold(static_cast<unsigned char>(text[i + 1])) != fold(static_cast<unsigned char>(lit[1]))) return false;
  if (!starts_with(text, i, lit, rule.case_insensitive)) return false;
  if (rule.shape != StartShape::kCue || rule.follow == CueFollow::kAny) return true;
  const size_t n = text.size();
  auto at = [&](size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(text[k]) : 0; };
  size_t k = i + e.literal->size();
  if (rule.follow == CueFollow::kSeparator) {
    for (int skip = 0; skip < 3 && at(k) == ' '; ++skip) ++k;
    return at(k) == ':' || at(k) == '=';
  }
  for (int skip = 0; skip < 4 && (at(k) == ' ' || at(k) == '.' || at(k) == ',' || at(k) == '\r' || at(k) == '\n'); ++skip)
    ++k;
  return capital_start(at(k));
}

void StartFilter::candidates(std::string_view text, size_t from, std::vector<std::pair<int, size_t>>& out) const {
  const size_t n = text.size();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  bool prev_word = from > 0 && kTables.word[p[from - 1]];
  for (size_t i = from; i < n; ++i) {
    const unsigned char c = p[i];
    const bool word = kTables.word[c];
    if (word && prev_word) continue;  // inside a word: no pattern starts here
    prev_word = word;
    if (!interesting_[c]) continue;
    for (const Entry& e : by_first_byte_[c]) {
      if (shape_ok(*e.rule, text, i)) out.emplace_back(e.id, i);
    }
    if (interesting_literal_[c] && i + 1 < n) {
      const size_t key = static_cast<size_t>(fold(c)) << 8 | fold(p[i + 1]);
      int last_id = -1;
      for (uint32_t k = literal_begin_[key]; k < literal_begin_[key + 1]; ++k) {
        const LiteralEntry& e = literal_entries_[k];
        if (e.id == last_id) continue;  // one candidate per pattern and position
        if (literal_ok(e, text, i)) {
          out.emplace_back(e.id, i);
          last_id = e.id;
        }
      }
    }
    if (c == '@' && !email_ids_.empty()) {
      // Email starts: word starts in the local part before the '@'.
      for (size_t j = i; j > 0 && i - j < 64 && kTables.email_local[p[j - 1]]; --j) {
        const size_t s = j - 1;
        const bool alnum = kTables.word[p[s]] && p[s] != '_';
        if (alnum && (s == 0 || !kTables.word[p[s - 1]]) && s >= from) {
          for (int id : email_ids_) out.emplace_back(id, s);
        }
      }
    }
  }
}

}  // namespace warden::policy
