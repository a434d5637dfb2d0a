#include "policy/start_filter.h"

#include <algorithm>
#include <map>

#include "policy/start_rules.h"

namespace warden::policy {

using namespace start_rules;

void StartFilter::add(int id, const StartRule& rule) {
  for (const auto& list : by_first_byte_)
    for (const auto& e : list)
      if (e.id == id) duplicate_id_ = true;
  rules_.push_back(rule);
  const StartRule* r = &rules_.back();
  ++count_;
  auto on = [&](unsigned char c) {
    auto& list = by_first_byte_[c];
    for (const auto& e : list)
      if (e.id == id) return;
    list.push_back(Entry{id, r, count_});
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
  // Literals: a hash of (folded first, folded second, third byte as in the text): a bitmap,
  // then buckets of items in the reference's order.
  std::fill(literal_bits_.begin(), literal_bits_.end(), 0);
  std::vector<std::vector<LiteralItem>> buckets(kLiteralBuckets);
  literal_fourth_.assign(1, ByteSet{~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}});
  auto fourth_index = [&](const ByteSet& set) {
    for (size_t k = 0; k < literal_fourth_.size(); ++k)
      if (literal_fourth_[k] == set) return static_cast<uint16_t>(k);
    literal_fourth_.push_back(set);
    return static_cast<uint16_t>(literal_fourth_.size() - 1);
  };
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
      ByteSet fourth{};
      for (int d = 0; d < 256; ++d)
        if (literal_fourth_ok(*e.rule, lit, third, static_cast<unsigned char>(d)))
          fourth[static_cast<size_t>(d) >> 6] |= uint64_t{1} << (d & 63);
      const uint32_t h = literal_hash(first, second, third);
      literal_bits_[h >> 6] |= uint64_t{1} << (h & 63);
      const uint32_t key = first | static_cast<uint32_t>(second) << 8 | static_cast<uint32_t>(third) << 16;
      buckets[h % kLiteralBuckets].push_back(LiteralItem{key, static_cast<uint16_t>(index), fourth_index(fourth)});
    }
  }
  if (literal_entries_.size() >= 0xFFFF || literal_fourth_.size() >= 0xFFFF) fast_ok_ = false;
  literal_bucket_begin_.assign(kLiteralBuckets + 1, 0);
  literal_items_.clear();
  for (size_t k = 0; k < kLiteralBuckets; ++k) {
    literal_items_.insert(literal_items_.end(), buckets[k].begin(), buckets[k].end());
    literal_bucket_begin_[k + 1] = static_cast<uint32_t>(literal_items_.size());
  }

  build_slots();

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
      } else if (other_second_[static_cast<size_t>(other_class_[first]) * 256 + second] != 0) {
        g |= kGateShapes;
      }
      if (interesting_literal_[first]) {
        // A literal under these folded bytes that may start here: any case-insensitive one,
        // a case-sensitive one (a given name, a token prefix) only with its exact bytes.
        const size_t key = static_cast<size_t>(fold(first)) << 8 | fold(second);
        for (uint32_t k = literal_begin_[key]; k < literal_begin_[key + 1] && !(g & kGateLiterals); ++k) {
          const LiteralEntry& e = literal_entries_[k];
          if (e.rule->case_insensitive || (static_cast<unsigned char>((*e.literal)[0]) == first &&
                                           static_cast<unsigned char>((*e.literal)[1]) == second))
            g |= kGateLiterals;
        }
      }
      if (first == '@' && !email_ids_.empty()) g |= kGateEmail;
      gate_[static_cast<size_t>(c) | static_cast<size_t>(b) << 8] = g;
    }
  }
  built_ = true;
}

// The slot tables of the fast path (see start_filter.h).
void StartFilter::build_slots() {
  slots_.clear();
  for (const auto& list : by_first_byte_) {
    for (const Entry& e : list)
      if (std::none_of(slots_.begin(), slots_.end(), [&](const Entry& s) { return s.id == e.id; }))
        slots_.push_back(e);
  }
  std::sort(slots_.begin(), slots_.end(), [](const Entry& a, const Entry& b) { return a.added < b.added; });
  if (slots_.size() > kMaxSlots || duplicate_id_) fast_ok_ = false;
  const size_t slots = std::min(slots_.size(), kMaxSlots);
  auto slot_bit = [&](int id) {
    for (size_t s = 0; s < slots; ++s)
      if (slots_[s].id == id) return 1u << s;
    return 0u;
  };

  // Slots settled by bit counts, by shape.
  ipv4_slots_ = ipv6_slots_ = phone_slots_ = crypto_slots_ = compound_slots_ = card_slots_ = 0;
  street_slots_ = french_slots_ = 0;
  card_ok_.fill(~0u);
  for (size_t s = 0; s < slots; ++s) {
    const StartRule& rule = *slots_[s].rule;
    const uint32_t bit = 1u << s;
    switch (rule.shape) {
      case StartShape::kIpv4: ipv4_slots_ |= bit; break;
      case StartShape::kIpv6: ipv6_slots_ |= bit; break;
      case StartShape::kPhone: phone_slots_ |= bit; break;
      case StartShape::kCrypto: crypto_slots_ |= bit; break;
      case StartShape::kCompoundStreet: compound_slots_ |= bit; break;
      case StartShape::kStreetNumber: street_slots_ |= bit; break;
      case StartShape::kFrenchStreet: french_slots_ |= bit; break;
      case StartShape::kCardLike:
        // A card-like run of 64 bytes holds at least 32 digits: counts within the window
        // settle min_digits up to 32.
        card_slots_ |= bit;
        if (rule.min_digits <= 32)
          for (int count = 0; count < rule.min_digits; ++count) card_ok_[static_cast<size_t>(count)] &= ~bit;
        break;
      default: break;
    }
  }
  for (int b = 0; b < 256; ++b) {
    uint32_t mask = 0;
    for (size_t s = 0; s < slots; ++s)
      if (prev_byte_ok(*slots_[s].rule, static_cast<unsigned char>(b))) mask |= 1u << s;
    prev_mask_[static_cast<size_t>(b)] = mask;
  }

  // Shapes at a digit: the slots allowed by the digit, and by (run length, byte after the run,
  // byte after that).
  for (char d = '0'; d <= '9'; ++d) {
    uint32_t mask = 0;
    for (const Entry& e : by_first_byte_[static_cast<unsigned char>(d)]) mask |= slot_bit(e.id);
    digit_first_mask_[static_cast<size_t>(d - '0')] = mask;
  }
  // mask(row, after, after2): the slots digit_run_ok allows; row kMaxDigitRun stands for
  // every longer run too. Bytes fall into a few classes that behave alike, first as
  // `after` (over every row and after2), then as `after2` (over every row and after class).
  auto mask_of = [&](size_t row, unsigned char after, unsigned char after2) {
    uint32_t mask = 0;
    if (is_digit(after)) return mask;  // `after` ends the run
    for (size_t s = 0; s < slots; ++s)
      if (digit_run_ok(*slots_[s].rule, row, row == kMaxDigitRun, after, after2)) mask |= 1u << s;
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

  // Shapes at other bytes: the slots allowed by (first, second) and by (first, third); first
  // bytes with the same two tables share a class.
  std::map<std::vector<uint32_t>, uint8_t> classes;
  classes.emplace(std::vector<uint32_t>(512, 0), 0);
  other_second_.assign(256, 0);
  other_third_.assign(256, 0);
  for (int c = 0; c < 256; ++c) {
    const unsigned char first = static_cast<unsigned char>(c);
    other_class_[first] = 0;
    if (is_digit(first) || by_first_byte_[first].empty()) continue;
    std::vector<uint32_t> signature(512, 0);
    for (const Entry& e : by_first_byte_[first]) {
      const uint32_t bit = slot_bit(e.id);
      for (int b = 0; b < 256; ++b) {
        if (second_byte_ok(*e.rule, first, static_cast<unsigned char>(b))) signature[static_cast<size_t>(b)] |= bit;
        if (third_byte_ok(*e.rule, first, static_cast<unsigned char>(b)))
          signature[256 + static_cast<size_t>(b)] |= bit;
      }
    }
    auto [it, inserted] = classes.emplace(signature, static_cast<uint8_t>(std::min<size_t>(classes.size(), 255)));
    if (inserted) {
      if (classes.size() > 255) fast_ok_ = false;
      other_second_.insert(other_second_.end(), signature.begin(), signature.begin() + 256);
      other_third_.insert(other_third_.end(), signature.begin() + 256, signature.end());
    }
    other_class_[first] = it->second;
  }
}

bool StartFilter::shape_ok(const StartRule& rule, std::string_view text, size_t i) {
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
      if (i > 0 && card_glued_prev(at(i - 1), i > 1 ? at(i - 2) : 0)) return false;
      int digits = 0;
      size_t k = i;
      while (k < n) {
        if (is_digit(text[k])) {
          if (++digits >= rule.min_digits) return true;
          ++k;
        } else if ((text[k] == ' ' || text[k] == '-') && is_digit(at(k + 1))) {
          ++k;
        } else {
          break;
        }
      }
      return false;
    }
    case StartShape::kIpv4: {  // the whole dotted quad
      if (!prev_byte_ok(rule, i > 0 ? at(i - 1) : 0)) return false;
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
      if (!prev_byte_ok(rule, i > 0 ? at(i - 1) : 0)) return false;
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
      if (phone_glued_prev(prev)) return false;  // the validator refuses glued starts
      // ... and a digit after " " and a digit: the middle of a longer digit run ("4111 1111").
      if (is_digit(at(i)) && prev == ' ' && i >= 2 && is_digit(at(i - 2))) return false;
      // yyyy-mm-dd / yyyy.mm.dd with a 19xx/20xx year: never a valid number (see validate_phone).
      if ((at(i) == '1' && at(i + 1) == '9') || (at(i) == '2' && at(i + 1) == '0')) {
        if (is_digit((at(i + 2))) && is_digit((at(i + 3))) &&
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
      while (k < n && k - i < 52 && street_word_byte(at(k))) ++k;
      if (at(k) != ' ' || !is_digit(at(k + 1))) return false;
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
      if (!prev_byte_ok(rule, i > 0 ? at(i - 1) : 0)) return false;
      if (at(i) == 'b' || at(i) == 'B') return starts_with(text, i, "bc1", true);
      size_t k = i + 1;
      while (k < n && k - i < 26 && kTables.base58[at(k)]) ++k;
      return k - i >= 26;
    }
    case StartShape::kSsn: {
      if (!prev_byte_ok(rule, i > 0 ? at(i - 1) : 0)) return false;
      size_t k = i;
      const int groups[3] = {3, 2, 4};
      for (int g = 0; g < 3; ++g) {
        if (g > 0 && (at(k) == ' ' || at(k) == '-')) ++k;
        for (int d = 0; d < groups[g]; ++d, ++k)
          if (!is_digit((at(k)))) return false;
      }
      return !is_digit((at(k)));
    }
    case StartShape::kIban:
      return at(i + 1) >= 'A' && at(i + 1) <= 'Z' && is_digit((at(i + 2))) &&
             is_digit((at(i + 3)));
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

// Email starts: word starts in the local part before the '@' at i.
void StartFilter::email_starts(const unsigned char* p, size_t i, size_t from,
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

}  // namespace warden::policy
