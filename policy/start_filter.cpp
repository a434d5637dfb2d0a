#include "policy/start_filter.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline unsigned char fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : c; }
inline bool capital_start(unsigned char c) { return (c >= 'A' && c <= 'Z') || c >= 0xC0; }

constexpr std::string_view kFrenchStreetWords[] = {"rue", "avenue", "av.", "boulevard", "bd", "allée",
                                                   "impasse", "chemin", "quai", "place", "cours"};

bool starts_with(std::string_view text, size_t i, std::string_view lit, bool fold_case) {
  if (text.size() - i < lit.size()) return false;
  for (size_t k = 0; k < lit.size(); ++k) {
    unsigned char a = static_cast<unsigned char>(text[i + k]), b = static_cast<unsigned char>(lit[k]);
    if (fold_case ? fold(a) != fold(b) : a != b) return false;
  }
  return true;
}

// --- Necessary conditions behind the fast path's bitmaps. Each must accept everything
// that shape_ok / literal_ok accept (the tests compare the fast path with the reference).

// Non-word bytes the SIMD pass keeps besides word starts; a pattern starting at any other
// non-word byte turns the fast path off (StartFilter::fast_ok_).
inline bool simd_special(unsigned char c) { return c == '+' || c == '(' || c == ':' || c == '@' || c >= 0xC0; }

// The byte after a match start's first (non-digit) byte, per shape. 0 stands for the end
// of the text.
bool second_byte_ok(const StartRule& rule, unsigned char first, unsigned char second) {
  const bool digit = is_digit(second);
  const bool lower = second >= 'a' && second <= 'z';
  const bool upper = second >= 'A' && second <= 'Z';
  switch (rule.shape) {
    case StartShape::kCardLike:
      return rule.min_digits <= 1 || digit || second == ' ' || second == '-';
    case StartShape::kIpv4:
      return digit || second == '.';
    case StartShape::kIpv6:
      return is_hex(static_cast<char>(second)) || second == ':' || second == '.';
    case StartShape::kPhone:
      return kTables.phone[second];
    case StartShape::kStreetNumber:
      return digit || lower || upper || second == ' ';
    case StartShape::kFrenchStreet:
      return digit || second == ' ' || second == ',' || second == 'b' || second == 't';
    case StartShape::kCompoundStreet:
      return lower || second >= 0x80 || second == '.';
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
bool digit_run_ok(const StartRule& rule, size_t run, bool longer, unsigned char after, unsigned char after2) {
  const bool separator = after == ' ' || after == '-';
  const bool hex_walk = is_hex(static_cast<char>(after2)) || after2 == ':' || after2 == '.';
  switch (rule.shape) {
    case StartShape::kCardLike:
      return run >= static_cast<size_t>(std::max(rule.min_digits, 0)) || (separator && is_digit(after2));
    case StartShape::kSsn:
      return !longer && (run == 9 || ((run == 3 || run == 5) && separator && is_digit(after2)));
    case StartShape::kIpv4:
      return !longer && run <= 3 && after == '.' && is_digit(after2);
    case StartShape::kIpv6:  // a ':' must follow within the walk over hex digits, '.' and ':'
      return (is_hex(static_cast<char>(after)) || after == ':' || after == '.') && hex_walk;
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
bool third_byte_ok(const StartRule& rule, unsigned char first, unsigned char third) {
  switch (rule.shape) {
    case StartShape::kIpv6:  // "::" settles it; otherwise the walk must go on to a ':'
      return first == ':' || is_hex(static_cast<char>(third)) || third == ':' || third == '.';
    case StartShape::kIban:
      return is_digit(third);
    case StartShape::kCrypto:
      return first == 'b' || first == 'B' ? third == '1' : kTables.base58[third];
    case StartShape::kPhone:
      return kTables.phone[third];
    case StartShape::kCompoundStreet:  // the word is longer than any suffix
      return (third >= 'a' && third <= 'z') || third >= 0x80 || third == '.';
    default:
      return true;
  }
}

// The byte before the start (0 at the start of the text).
bool prev_byte_ok(const StartRule& rule, unsigned char prev) {
  switch (rule.shape) {
    case StartShape::kIpv6:
      return !(prev == ':' || prev == '.' || kTables.word[prev]);
    case StartShape::kPhone:
      return !(kTables.word[prev] || prev == '-' || prev == '.' || prev == '/' || prev == '+' || prev == '#' ||
               prev == ':' || prev == '=' || prev == '$' || prev == '@');
    default:
      return true;
  }
}

// The byte after a two-byte literal, as its cue rule may accept it.
bool short_literal_third_ok(const StartRule& rule, unsigned char third) {
  if (rule.shape != StartShape::kCue || rule.follow == CueFollow::kAny) return true;
  if (rule.follow == CueFollow::kSeparator) return third == ' ' || third == ':' || third == '=';
  return third == ' ' || third == '.' || third == ',' || third == '\r' || third == '\n' || capital_start(third);
}

}  // namespace

void StartFilter::add(int id, const StartRule& rule) {
  rules_.push_back(rule);
  const StartRule* r = &rules_.back();
  ++count_;
  auto on = [&](unsigned char c) {
    auto& list = by_first_byte_[c];
    for (const auto& e : list)
      if (e.id == id) return;
    list.push_back(Entry{id, r, count_, {}, {}, {}});
    if (!kTables.word[c] && !simd_special(c)) fast_ok_ = false;
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
        if (!kTables.word[c] && !simd_special(c)) fast_ok_ = false;
        interesting_literal_[c] = true;
        if (rule.case_insensitive && c >= 'a' && c <= 'z') interesting_literal_[c - 32] = true;
        if (rule.case_insensitive && c >= 'A' && c <= 'Z') interesting_literal_[c + 32] = true;
      }
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
  built_ = false;
  for (int c = 0; c < 256; ++c)
    interesting_[c] = !by_first_byte_[c].empty() || interesting_literal_[c] || (c == '@' && !email_ids_.empty());
  // The reference's literal index, by folded first two bytes.
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

void StartFilter::build() {
  // Literals: a hash of (folded first, folded second, third byte as in the
  // text): a bitmap, then buckets of entry indices in the reference's order.
  std::fill(literal_bits_.begin(), literal_bits_.end(), 0);
  std::vector<std::vector<uint16_t>> buckets(kLiteralBuckets);
  for (size_t index = 0; index < literal_entries_.size(); ++index) {
    const LiteralEntry& e = literal_entries_[index];
    const std::string& lit = *e.literal;
    const unsigned char first = fold(static_cast<unsigned char>(lit[0]));
    const unsigned char second = fold(static_cast<unsigned char>(lit[1]));
    for (int b = 0; b < 256; ++b) {
      const unsigned char third = static_cast<unsigned char>(b);
      const bool ok = lit.size() >= 3 ? (e.rule->case_insensitive ? fold(third) == fold(static_cast<unsigned char>(lit[2]))
                                                                  : third == static_cast<unsigned char>(lit[2]))
                                      : short_literal_third_ok(*e.rule, third);
      if (!ok) continue;
      const uint32_t h = literal_hash(first, second, third);
      literal_bits_[h >> 6] |= uint64_t{1} << (h & 63);
      auto& bucket = buckets[h % kLiteralBuckets];
      if (bucket.empty() || bucket.back() != index) bucket.push_back(static_cast<uint16_t>(index));
    }
  }
  if (literal_entries_.size() >= 0xFFFF) fast_ok_ = false;
  literal_bucket_begin_.assign(kLiteralBuckets + 1, 0);
  literal_bucket_entries_.clear();
  for (size_t k = 0; k < kLiteralBuckets; ++k) {
    literal_bucket_entries_.insert(literal_bucket_entries_.end(), buckets[k].begin(), buckets[k].end());
    literal_bucket_begin_[k + 1] = static_cast<uint32_t>(literal_bucket_entries_.size());
  }

  // Shapes at a non-digit first byte: the bytes that may come before and after it.
  auto set_bit = [](ByteSet& set, int b) { set[static_cast<size_t>(b) >> 6] |= uint64_t{1} << (b & 63); };
  for (int c = 0; c < 256; ++c) {
    shape_second_[c] = ByteSet{};
    for (Entry& e : by_first_byte_[c]) {
      e.second = e.third = e.prev = ByteSet{};
      const unsigned char first = static_cast<unsigned char>(c);
      for (int b = 0; b < 256; ++b) {
        const unsigned char byte = static_cast<unsigned char>(b);
        if (second_byte_ok(*e.rule, first, byte)) {
          set_bit(e.second, b);
          set_bit(shape_second_[c], b);
        }
        if (third_byte_ok(*e.rule, first, byte)) set_bit(e.third, b);
        if (prev_byte_ok(*e.rule, byte)) set_bit(e.prev, b);
      }
    }
  }

  // Shapes at a digit: one slot per pattern (in the order of by_first_byte_), a mask of
  // the slots allowed by (run length, byte after the run), and one by the byte before.
  digit_slots_.clear();
  for (char d = '0'; d <= '9'; ++d) {
    for (const Entry& e : by_first_byte_[static_cast<unsigned char>(d)]) {
      if (std::none_of(digit_slots_.begin(), digit_slots_.end(), [&](const Entry& s) { return s.id == e.id; }))
        digit_slots_.push_back(e);
    }
  }
  std::sort(digit_slots_.begin(), digit_slots_.end(), [](const Entry& a, const Entry& b) { return a.added < b.added; });
  if (digit_slots_.size() > 32) fast_ok_ = false;
  const size_t slots = std::min<size_t>(digit_slots_.size(), 32);
  for (char d = '0'; d <= '9'; ++d) {
    uint32_t mask = 0;
    const auto& list = by_first_byte_[static_cast<unsigned char>(d)];
    for (size_t s = 0; s < slots; ++s) {
      if (std::any_of(list.begin(), list.end(), [&](const Entry& e) { return e.id == digit_slots_[s].id; }))
        mask |= 1u << s;
    }
    digit_first_mask_[static_cast<size_t>(d - '0')] = mask;
  }
  // mask(row, after, after2): the slots digit_run_ok allows; row kMaxDigitRun stands for
  // every longer run too. Bytes fall into a few classes that behave alike, first as
  // `after` (over every row and after2), then as `after2` (over every row and after class).
  auto mask_of = [&](size_t row, unsigned char after, unsigned char after2) {
    uint32_t mask = 0;
    if (is_digit(after)) return mask;  // `after` ends the run
    for (size_t s = 0; s < slots; ++s)
      if (digit_run_ok(*digit_slots_[s].rule, row, row == kMaxDigitRun, after, after2)) mask |= 1u << s;
    return mask;
  };
  std::map<std::vector<uint32_t>, uint8_t> after_classes;
  std::vector<unsigned char> after_examples;
  for (int a = 0; a < 256; ++a) {
    std::vector<uint32_t> signature;
    signature.reserve(kMaxDigitRun * 256);
    for (size_t row = 1; row <= kMaxDigitRun; ++row)
      for (int b = 0; b < 256; ++b) signature.push_back(mask_of(row, static_cast<unsigned char>(a), static_cast<unsigned char>(b)));
    auto [it, inserted] = after_classes.emplace(std::move(signature), static_cast<uint8_t>(after_classes.size()));
    if (inserted) after_examples.push_back(static_cast<unsigned char>(a));
    digit_after_class_[static_cast<size_t>(a)] = it->second;
  }
  std::map<std::vector<uint32_t>, uint8_t> after2_classes;
  std::vector<std::vector<uint32_t>> after2_masks;  // per after2 class: [row * after classes + after class]
  for (int b = 0; b < 256; ++b) {
    std::vector<uint32_t> signature;
    for (size_t row = 0; row <= kMaxDigitRun; ++row)
      for (unsigned char a : after_examples) signature.push_back(row == 0 ? 0 : mask_of(row, a, static_cast<unsigned char>(b)));
    auto [it, inserted] = after2_classes.emplace(signature, static_cast<uint8_t>(after2_classes.size()));
    if (inserted) after2_masks.push_back(std::move(signature));
    digit_after2_class_[static_cast<size_t>(b)] = it->second;
  }
  if (after_classes.size() > 255 || after2_classes.size() > 255) fast_ok_ = false;
  digit_after_classes_ = after_examples.size();
  digit_after2_classes_ = after2_masks.size();
  digit_gate_.assign((kMaxDigitRun + 1) * digit_after_classes_ * digit_after2_classes_, 0);
  for (size_t b2 = 0; b2 < after2_masks.size(); ++b2) {
    for (size_t k = 0; k < after2_masks[b2].size(); ++k) digit_gate_[k * digit_after2_classes_ + b2] = after2_masks[b2][k];
  }
  for (int b = 0; b < 256; ++b) {
    uint32_t mask = 0;
    for (size_t s = 0; s < slots; ++s)
      if (prev_byte_ok(*digit_slots_[s].rule, static_cast<unsigned char>(b))) mask |= 1u << s;
    digit_prev_mask_[static_cast<size_t>(b)] = mask;
  }

  // The first gate, by the first two bytes.
  for (int c = 0; c < 256; ++c) {
    const unsigned char first = static_cast<unsigned char>(c);
    for (int b = 0; b < 256; ++b) {
      const unsigned char second = static_cast<unsigned char>(b);
      uint8_t g = 0;
      if (is_digit(first)) {
        const uint32_t mask = digit_first_mask_[static_cast<size_t>(c - '0')];
        uint32_t allowed = is_digit(second) ? mask : 0;  // a longer run: see at_position
        for (size_t b2 = 0; b2 < digit_after2_classes_ && allowed == 0; ++b2)
          allowed = mask & digit_gate_[(digit_after_classes_ + digit_after_class_[second]) * digit_after2_classes_ + b2];
        if (allowed != 0) g |= kGateShapes;
      } else if (has(shape_second_[first], second)) {
        g |= kGateShapes;
      }
      if (interesting_literal_[first]) {
        const size_t key = static_cast<size_t>(fold(first)) << 8 | fold(second);
        if (literal_begin_[key] != literal_begin_[key + 1]) g |= kGateLiterals;
      }
      if (first == '@' && !email_ids_.empty()) g |= kGateEmail;
      gate_[static_cast<size_t>(c) | static_cast<size_t>(b) << 8] = g;
    }
  }
  built_ = true;
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
      for (std::string_view w : kFrenchStreetWords)
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


uint32_t StartFilter::literal_hash(unsigned char a, unsigned char b, unsigned char c) {
  const uint32_t key = static_cast<uint32_t>(a) | static_cast<uint32_t>(b) << 8 | static_cast<uint32_t>(c) << 16;
  return (key * 0x9E3779B1u) >> 16;
}

// Email starts: word starts in the local part before the '@' at i.
inline void StartFilter::email_starts(const unsigned char* p, size_t i, size_t from,
                                      std::vector<std::pair<int, size_t>>& out) const {
  for (size_t j = i; j > 0 && i - j < 64 && kTables.email_local[p[j - 1]]; --j) {
    const size_t s = j - 1;
    const bool alnum = kTables.word[p[s]] && p[s] != '_';
    if (alnum && (s == 0 || !kTables.word[p[s - 1]]) && s >= from) {
      for (int id : email_ids_) out.emplace_back(id, s);
    }
  }
}

void StartFilter::candidates_reference(std::string_view text, size_t from,
                                       std::vector<std::pair<int, size_t>>& out) const {
  const size_t n = text.size();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  bool prev_word = from > 0 && from <= n && kTables.word[p[from - 1]];
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
    if (c == '@' && !email_ids_.empty()) email_starts(p, i, from, out);
  }
}

// The reference's work at position i (a word start or a kept non-word byte), with the
// bitmaps consulted first.
template <bool near_end>
__attribute__((always_inline)) inline void StartFilter::at_position(std::string_view text, size_t i, size_t from,
                                                                     std::vector<std::pair<int, size_t>>& out) const {
  const size_t n = text.size();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char c = p[i];
  const unsigned char second = !near_end || i + 1 < n ? p[i + 1] : 0;
  const unsigned char third = !near_end || i + 2 < n ? p[i + 2] : 0;
  const unsigned gate = gate_[static_cast<size_t>(c) | static_cast<size_t>(second) << 8];
  if (gate == 0) return;
  uint32_t h = 0;
  bool literal = false;
  if (gate & kGateLiterals) {
    h = literal_hash(fold(c), fold(second), third);
    literal = (literal_bits_[h >> 6] >> (h & 63)) & 1;
  }
  if (gate & kGateShapes) {
    if (is_digit(c)) {
      size_t run = 1;
      while (i + run < n && is_digit(p[i + run])) ++run;
      const unsigned char after = i + run < n ? p[i + run] : 0;
      const unsigned char after2 = i + run + 1 < n ? p[i + run + 1] : 0;
      const size_t row = std::min(run, kMaxDigitRun);
      uint32_t mask = digit_first_mask_[c - '0'] & digit_prev_mask_[i > 0 ? p[i - 1] : 0] &
                      digit_gate_[(row * digit_after_classes_ + digit_after_class_[after]) * digit_after2_classes_ +
                                  digit_after2_class_[after2]];
      while (mask != 0) {
        const Entry& e = digit_slots_[static_cast<size_t>(std::countr_zero(mask))];
        mask &= mask - 1;
        if (shape_ok(*e.rule, text, i)) out.emplace_back(e.id, i);
      }
    } else {
      const unsigned char prev = i > 0 ? p[i - 1] : 0;
      for (const Entry& e : by_first_byte_[c]) {
        if (has(e.second, second) && has(e.third, third) && has(e.prev, prev) && shape_ok(*e.rule, text, i))
          out.emplace_back(e.id, i);
      }
    }
  }
  if (literal) {
    int last_id = -1;
    const size_t bucket = h % kLiteralBuckets;
    for (uint32_t k = literal_bucket_begin_[bucket]; k < literal_bucket_begin_[bucket + 1]; ++k) {
      const LiteralEntry& e = literal_entries_[literal_bucket_entries_[k]];
      if (e.id == last_id) continue;  // one candidate per pattern and position
      if (literal_ok(e, text, i)) {
        out.emplace_back(e.id, i);
        last_id = e.id;
      }
    }
  }
  if (gate & kGateEmail) email_starts(p, i, from, out);
}

#if defined(__SSE2__)
namespace {

// lo <= x <= hi, bytes compared unsigned.
inline __m128i in_range(__m128i x, unsigned char lo, unsigned char hi) {
  const __m128i t = _mm_sub_epi8(x, _mm_set1_epi8(static_cast<char>(lo)));
  return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(static_cast<char>(hi - lo))), t);
}

// Bits shift..shift+15 of `word`: bytes that are [0-9A-Za-z_]; of `special`: simd_special.
inline void classify16(const unsigned char* q, uint64_t& word, uint64_t& special, int shift) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  const __m128i alpha = in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');
  const __m128i w = _mm_or_si128(_mm_or_si128(in_range(x, '0', '9'), alpha), _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
  __m128i s = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(static_cast<char>(0xC0))), x);
  s = _mm_or_si128(s, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('+')), _mm_cmpeq_epi8(x, _mm_set1_epi8('('))));
  s = _mm_or_si128(s, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(':')), _mm_cmpeq_epi8(x, _mm_set1_epi8('@'))));
  word |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(w))) << shift;
  special |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(s))) << shift;
}

}  // namespace
#endif

void StartFilter::candidates(std::string_view text, size_t from, std::vector<std::pair<int, size_t>>& out) const {
#if defined(__SSE2__)
  const size_t n = text.size();
  if (!built_ || !fast_ok_) return candidates_reference(text, from, out);
  if (from >= n) return;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  uint64_t carry = from > 0 && kTables.word[p[from - 1]] ? 1 : 0;  // the byte before is a word byte
  alignas(16) unsigned char tail[64];
  for (size_t base = from; base < n; base += 64) {
    const unsigned char* q = p + base;
    const size_t len = std::min<size_t>(64, n - base);
    if (len < 64) {
      std::memset(tail, 0, sizeof(tail));  // 0: neither a word byte nor special
      std::memcpy(tail, q, len);
      q = tail;
    }
    uint64_t word = 0, special = 0;
    for (int k = 0; k < 4; ++k) classify16(q + 16 * k, word, special, 16 * k);
    // Word starts, and the non-word bytes some pattern may start with.
    uint64_t look = (word & ~((word << 1) | carry)) | (~word & special);
    carry = word >> 63;
    const bool near_end = n - base < 64 + 2;  // p[i + 2] may be past the end
    while (look != 0) {
      const size_t i = base + static_cast<size_t>(std::countr_zero(look));
      look &= look - 1;
      if (near_end) at_position<true>(text, i, from, out);
      else at_position<false>(text, i, from, out);
    }
  }
#else
  candidates_reference(text, from, out);
#endif
}

}  // namespace warden::policy
