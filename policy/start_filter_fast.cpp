// StartFilter's fast path: a SIMD pass over 64-byte blocks, then per kept position the
// slot tables, then bit counts over character-class masks that settle the shapes which
// need a longer look. It must list exactly what candidates_reference lists.
//
// The pass is built for two instruction sets, chosen at run time: AVX-512 (BW + VBMI: two
// byte-table lookups give every class of 64 bytes at once) and SSE2 (byte compares; any
// x86-64). Elsewhere the reference loop runs.
#include <atomic>
#include <bit>
#include <cstring>

#include "policy/start_filter.h"
#include "policy/start_rules.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define WARDEN_START_FILTER_SIMD 1
#endif

namespace warden::policy {

using namespace start_rules;

namespace {

std::atomic<int> forced_simd{static_cast<int>(StartFilter::Simd::kAuto)};

}  // namespace

void StartFilter::force_simd(Simd level) { forced_simd.store(static_cast<int>(level)); }

StartFilter::Simd StartFilter::simd_in_use() {
#if WARDEN_START_FILTER_SIMD
  static const bool avx512 = [] {
    __builtin_cpu_init();  // idempotent; needed if the first call comes from a static initializer
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("popcnt") &&
           __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  }();
  const Simd forced = static_cast<Simd>(forced_simd.load(std::memory_order_relaxed));
  if (forced == Simd::kNone) return Simd::kNone;
  if (forced == Simd::kSse2 || !avx512) return Simd::kSse2;
  return Simd::kAvx512;
#else
  return Simd::kNone;
#endif
}

#if WARDEN_START_FILTER_SIMD

namespace {

// Bit k: byte k of a 64-byte block (or of the 64 bytes from a position on) is in the class.
struct BasicMasks {  // what every block needs
  uint64_t word = 0;     // [0-9A-Za-z_]
  uint64_t special = 0;  // simd_special: non-word bytes a pattern may start with
  uint64_t digit = 0;    // [0-9]
};
struct ClassMasks {  // what the bit counts need, computed where a position asks for them
  uint64_t digit = 0;     // [0-9]
  uint64_t sep = 0;       // ' ' or '-' (between the digit groups of a card)
  uint64_t dot = 0;       // '.'
  uint64_t colon = 0;     // ':'
  uint64_t hex_walk = 0;  // hex digits, ':' and '.' (an IPv6 address)
  uint64_t phone = 0;     // kTables.phone
  uint64_t base58 = 0;    // kTables.base58
};

// The classes of the bytes below 0x80, one bit each (bytes from 0x80 on are in none of them
// but `special` from 0xC0 on).
enum : uint16_t {
  kWord = 1, kSpecial = 2, kDigit = 4, kSep = 8, kDot = 16, kColon = 32, kHexWalk = 64, kPhone = 128,
  kBase58 = 256
};
struct ClassTable {
  alignas(64) uint8_t low[128];   // bits 0..7
  alignas(64) uint8_t high[128];  // bits 8..15
  ClassTable() {
    for (int c = 0; c < 128; ++c) {
      const unsigned char b = static_cast<unsigned char>(c);
      uint16_t v = 0;
      if (kTables.word[b]) v |= kWord;
      if (simd_special(b)) v |= kSpecial;
      if (is_digit(b)) v |= kDigit;
      if (b == ' ' || b == '-') v |= kSep;
      if (b == '.') v |= kDot;
      if (b == ':') v |= kColon;
      if (is_hex(b) || b == ':' || b == '.') v |= kHexWalk;
      if (kTables.phone[b]) v |= kPhone;
      if (kTables.base58[b]) v |= kBase58;
      low[c] = static_cast<uint8_t>(v);
      high[c] = static_cast<uint8_t>(v >> 8);
    }
  }
};
const ClassTable kClassTable;

// SSE2: byte compares, 16 bytes at a time.
struct Sse2 {
  static __m128i in_range(__m128i x, unsigned char lo, unsigned char hi) {  // unsigned lo <= x <= hi
    const __m128i t = _mm_sub_epi8(x, _mm_set1_epi8(static_cast<char>(lo)));
    return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(static_cast<char>(hi - lo))), t);
  }
  static __m128i eq(__m128i x, char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); }
  static uint64_t bits(__m128i m, int shift) {
    return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(m))) << shift;
  }

  static BasicMasks basic(const unsigned char* q) {
    BasicMasks m;
    for (int k = 0; k < 4; ++k) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16 * k));
      const __m128i digit = in_range(x, '0', '9');
      const __m128i alpha = in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');
      const __m128i w = _mm_or_si128(_mm_or_si128(digit, alpha), eq(x, '_'));
      __m128i s = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(static_cast<char>(0xC0))), x);
      s = _mm_or_si128(s, _mm_or_si128(eq(x, '+'), eq(x, '(')));
      s = _mm_or_si128(s, _mm_or_si128(eq(x, ':'), eq(x, '@')));
      m.word |= bits(w, 16 * k);
      m.special |= bits(s, 16 * k);
      m.digit |= bits(digit, 16 * k);
    }
    return m;
  }

  static ClassMasks classes(const unsigned char* q) {
    ClassMasks m;
    for (int k = 0; k < 4; ++k) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16 * k));
      const __m128i lower_x = _mm_or_si128(x, _mm_set1_epi8(0x20));
      const __m128i digit = in_range(x, '0', '9');
      const __m128i dash = eq(x, '-');
      const __m128i dot = eq(x, '.');
      const __m128i colon = eq(x, ':');
      const __m128i sep = _mm_or_si128(eq(x, ' '), dash);
      const __m128i hex_walk =
          _mm_or_si128(_mm_or_si128(digit, in_range(lower_x, 'a', 'f')), _mm_or_si128(colon, dot));
      __m128i phone = _mm_or_si128(_mm_or_si128(digit, sep), _mm_or_si128(dot, eq(x, '/')));
      phone = _mm_or_si128(phone, _mm_or_si128(_mm_or_si128(eq(x, '('), eq(x, ')')), eq(x, '+')));
      const __m128i alnum = _mm_or_si128(digit, in_range(lower_x, 'a', 'z'));
      const __m128i not_base58 =
          _mm_or_si128(_mm_or_si128(eq(x, '0'), eq(x, 'O')), _mm_or_si128(eq(x, 'I'), eq(x, 'l')));
      const int shift = 16 * k;
      m.digit |= bits(digit, shift);
      m.sep |= bits(sep, shift);
      m.dot |= bits(dot, shift);
      m.colon |= bits(colon, shift);
      m.hex_walk |= bits(hex_walk, shift);
      m.phone |= bits(phone, shift);
      m.base58 |= bits(_mm_andnot_si128(not_base58, alnum), shift);
    }
    return m;
  }
};

#define WARDEN_AVX512 __attribute__((target("avx512f,avx512bw,avx512vbmi,popcnt,bmi,bmi2")))

// AVX-512 (BW + VBMI): the class bits of all 64 bytes from 128-entry table lookups (bytes
// from 0x80 on look up nothing: their classes come from compares).
struct Avx512 {
  WARDEN_AVX512 __attribute__((always_inline)) static inline __m512i lookup(__m512i x, const uint8_t* table) {
    const __mmask64 ascii = ~_mm512_movepi8_mask(x);
    return _mm512_maskz_permutex2var_epi8(ascii, _mm512_load_si512(table), x, _mm512_load_si512(table + 64));
  }
  WARDEN_AVX512 __attribute__((always_inline)) static inline uint64_t test(__m512i classes, uint8_t bit) {
    return _mm512_test_epi8_mask(classes, _mm512_set1_epi8(static_cast<char>(bit)));
  }

  WARDEN_AVX512 static BasicMasks basic(const unsigned char* q) {
    const __m512i x = _mm512_loadu_si512(q);
    const __m512i low = lookup(x, kClassTable.low);
    BasicMasks m;
    m.word = test(low, kWord);
    m.special = test(low, kSpecial) | _mm512_cmpge_epu8_mask(x, _mm512_set1_epi8(static_cast<char>(0xC0)));
    m.digit = test(low, kDigit);
    return m;
  }

  WARDEN_AVX512 static ClassMasks classes(const unsigned char* q) {
    const __m512i x = _mm512_loadu_si512(q);
    const __m512i low = lookup(x, kClassTable.low);
    ClassMasks m;
    m.digit = test(low, kDigit);
    m.sep = test(low, kSep);
    m.dot = test(low, kDot);
    m.colon = test(low, kColon);
    m.hex_walk = test(low, kHexWalk);
    m.phone = test(low, kPhone);
    m.base58 = test(lookup(x, kClassTable.high), kBase58 >> 8);
    return m;
  }
};

inline uint64_t low_bits(unsigned count) { return count >= 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1; }
inline unsigned run_length(uint64_t window) { return static_cast<unsigned>(std::countr_zero(~window)); }

// The blocks around the current one: basic masks of this block and the next (computed one
// block ahead), class masks of both when a position asks for them.
template <class Isa>
class BlockWalk {
 public:
  __attribute__((always_inline)) BlockWalk(const unsigned char* p, size_t n, size_t from) : base(from), p_(p), n_(n) {
    cur = Isa::basic(load(base));
    next = Isa::basic(load(base + 64));
  }
  __attribute__((always_inline)) void advance() {
    base += 64;
    cur = next;
    next = Isa::basic(load(base + 64));
    classes_cur_ = classes_next_;
    have_cur_ = have_next_;
    have_next_ = false;
  }
  // The 64 digit (and word) bits from base + offset on.
  uint64_t digit_window(size_t offset) const {
    return offset == 0 ? cur.digit : (cur.digit >> offset) | (next.digit << (64 - offset));
  }
  uint64_t word_window(size_t offset) const {
    return offset == 0 ? cur.word : (cur.word >> offset) | (next.word << (64 - offset));
  }
  // The class masks of the 64 bytes from base + offset on (zero past the end of the text).
  __attribute__((always_inline)) ClassMasks window(size_t offset) {
    if (!have_cur_) classes_cur_ = Isa::classes(load(base));
    if (!have_next_) classes_next_ = Isa::classes(load(base + 64));
    have_cur_ = have_next_ = true;
    if (offset == 0) return classes_cur_;
    auto join = [&](uint64_t a, uint64_t b) { return (a >> offset) | (b << (64 - offset)); };
    ClassMasks w;
    w.digit = join(classes_cur_.digit, classes_next_.digit);
    w.sep = join(classes_cur_.sep, classes_next_.sep);
    w.dot = join(classes_cur_.dot, classes_next_.dot);
    w.colon = join(classes_cur_.colon, classes_next_.colon);
    w.hex_walk = join(classes_cur_.hex_walk, classes_next_.hex_walk);
    w.phone = join(classes_cur_.phone, classes_next_.phone);
    w.base58 = join(classes_cur_.base58, classes_next_.base58);
    return w;
  }

  BasicMasks cur, next;
  size_t base;

 private:
  // The 64 bytes from `start`, zero past the end of the text.
  const unsigned char* load(size_t start) {
    if (start < n_ && n_ - start >= 64) return p_ + start;
    std::memset(tail_, 0, sizeof(tail_));
    if (start < n_) std::memcpy(tail_, p_ + start, n_ - start);
    return tail_;
  }

  const unsigned char* p_;
  size_t n_;
  alignas(64) unsigned char tail_[64];
  ClassMasks classes_cur_, classes_next_;
  bool have_cur_ = false;
  bool have_next_ = false;
};

}  // namespace

struct StartFilter::FastPath {
  // Bit counts that settle the shapes with a longer walk, each equal to the walk in shape_ok
  // (a slot cleared here is one shape_ok refuses): the walk over hex digits, ':' and '.' of
  // an IPv6 address (45 bytes) meets "::" or 7 colons; 7 digits among the next 27 phone
  // characters.
  __attribute__((always_inline)) static uint32_t settle_walks(const StartFilter& f, uint32_t mask,
                                                              const ClassMasks& w) {
    const uint64_t ipv6_walk = low_bits(std::min(run_length(w.hex_walk), 45u));
    const bool ipv6 = (w.colon & ipv6_walk & (w.colon >> 1)) != 0 || std::popcount(w.colon & ipv6_walk) >= 7;
    const uint64_t phone_walk = low_bits(std::min(run_length(w.phone), 27u));
    const bool phone = std::popcount(w.digit & phone_walk) >= 7;
    uint32_t keep = ~0u;
    keep &= ipv6 ? ~0u : ~f.ipv6_slots_;
    keep &= phone ? ~0u : ~f.phone_slots_;
    return mask & keep;
  }

  // At a digit, also: 13 digits (min_digits) in the run of digits and single separators of
  // a card; three dots in the run of digits and dots of an IPv4 address; 25 base58
  // characters after the first of a base58 address; the phone starts its validator refuses
  // (a 19xx/20xx date, a digit group after " " and a digit); the card starts its validator
  // refuses.
  __attribute__((always_inline)) static uint32_t settle_digit_start(const StartFilter& f, uint32_t mask,
                                                                    const ClassMasks& w, std::string_view text,
                                                                    size_t i) {
    const size_t n = text.size();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
    auto at = [&](size_t k) -> unsigned char { return k < n ? p[k] : 0; };
    const uint64_t card_run = w.digit | (w.sep & (w.digit >> 1));
    const int card_digits = std::popcount(w.digit & low_bits(run_length(card_run)));
    uint32_t keep = f.card_ok_[static_cast<size_t>(card_digits)];
    const uint64_t dotted = low_bits(run_length(w.digit | w.dot));
    keep &= std::popcount(w.dot & dotted) >= 3 ? ~0u : ~f.ipv4_slots_;
    keep &= ((w.base58 >> 1) & low_bits(25)) == low_bits(25) ? ~0u : ~f.crypto_slots_;
    const unsigned char c = p[i], second = at(i + 1), after_year = at(i + 4);
    const bool date = ((c == '1' && second == '9') || (c == '2' && second == '0')) && ((w.digit >> 2) & 3) == 3 &&
                      (after_year == '-' || after_year == '.' || after_year == '/');
    const unsigned char prev = i > 0 ? p[i - 1] : 0, prev2 = i > 1 ? p[i - 2] : 0;
    keep &= date || (prev == ' ' && is_digit(prev2)) ? ~f.phone_slots_ : ~0u;
    keep &= card_glued_prev(prev, prev2) ? ~f.card_slots_ : ~0u;
    return settle_walks(f, mask & keep, w);
  }

  // Street numbers, by the bytes after the digits (the tables see only two of them): "12b
  // Main" and "12 Main" need a capital, then a lower-case letter or a byte >= 0x80; "12 rue"
  // needs the first two letters of a French street word (or of "bis" / "ter") after " ".
  __attribute__((always_inline)) static uint32_t settle_street(const StartFilter& f, uint32_t mask,
                                                               std::string_view text, size_t end_of_digits) {
    const size_t n = text.size();
    auto at = [&](size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(text[k]) : 0; };
    const unsigned char after = at(end_of_digits);
    if (mask & f.street_slots_) {
      const size_t space = end_of_digits + (after == ' ' ? 0 : 1);  // the tables saw " " or a letter and " "
      const unsigned char next = at(space + 2);
      if (!capital_start(at(space + 1)) || !((next >= 'a' && next <= 'z') || next >= 0x80))
        mask &= ~f.street_slots_;
    }
    if ((mask & f.french_slots_) && after == ' ') {
      static constexpr std::string_view kStarts[] = {"ru", "av", "bo", "bd", "al", "im",
                                                     "ch", "qu", "pl", "co", "bi", "te"};
      const unsigned char a = fold(at(end_of_digits + 1)), b = fold(at(end_of_digits + 2));
      bool found = false;
      for (std::string_view w : kStarts)
        found |= a == static_cast<unsigned char>(w[0]) && b == static_cast<unsigned char>(w[1]);
      if (!found) mask &= ~f.french_slots_;
    }
    return mask;
  }

  // At another byte: a capitalised street word must end in " " and a digit. The run of word
  // bytes from i ends where the street word ends, or earlier at a '.' or a byte >= 0x80
  // (which the street word may hold): no class masks needed. Then the walks, where they matter.
  template <class Isa>
  __attribute__((always_inline)) static uint32_t settle_other_start(const StartFilter& f, uint32_t mask,
                                                                    BlockWalk<Isa>& walk, std::string_view text,
                                                                    size_t i) {
    const size_t n = text.size();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
    const size_t offset = i - walk.base;
    const size_t end = i + run_length(walk.word_window(offset));
    const unsigned char stop = end < n ? p[end] : 0;
    const bool compound = stop == '.' || stop >= 0x80 || (stop == ' ' && end + 1 < n && is_digit(p[end + 1]));
    mask &= compound ? ~0u : ~f.compound_slots_;
    if ((mask & (f.ipv6_slots_ | f.phone_slots_)) == 0) return mask;
    return settle_walks(f, mask, walk.window(offset));
  }

  static void literal_candidates(const StartFilter& f, std::string_view text, size_t i, uint32_t key,
                                 uint32_t hash, std::vector<std::pair<int, size_t>>& out) {
    const unsigned char fourth = i + 3 < text.size() ? static_cast<unsigned char>(text[i + 3]) : 0;
    int last_id = -1;
    const size_t bucket = hash % kLiteralBuckets;
    for (uint32_t k = f.literal_bucket_begin_[bucket]; k < f.literal_bucket_begin_[bucket + 1]; ++k) {
      const LiteralItem& item = f.literal_items_[k];
      if (item.key != key || !has(f.literal_fourth_[item.fourth], fourth)) continue;
      const LiteralEntry& e = f.literal_entries_[item.entry];
      if (e.id == last_id) continue;  // one candidate per pattern and position
      if (literal_ok(e, text, i)) {
        out.emplace_back(e.id, i);
        last_id = e.id;
      }
    }
  }

  // The reference's work at position i (a word start or a kept non-word byte), with the
  // tables and the bit counts consulted first.
  template <bool near_end, class Isa>
  __attribute__((always_inline)) static void at_position(const StartFilter& f, std::string_view text, size_t i,
                                                         size_t from, BlockWalk<Isa>& walk,
                                                         std::vector<std::pair<int, size_t>>& out) {
    const size_t n = text.size();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
    const unsigned char c = p[i];
    const unsigned char second = !near_end || i + 1 < n ? p[i + 1] : 0;
    const unsigned char third = !near_end || i + 2 < n ? p[i + 2] : 0;
    const unsigned gate = f.gate_[static_cast<size_t>(c) | static_cast<size_t>(second) << 8];
    if (gate == 0) return;
    if (gate & kGateShapes) {
      const unsigned char prev = i > 0 ? p[i - 1] : 0;
      const size_t offset = i - walk.base;
      uint32_t mask;
      if (is_digit(c)) {
        size_t run = run_length(walk.digit_window(offset));
        if (run == 64)
          while (i + run < n && is_digit(p[i + run])) ++run;
        const unsigned char after = i + run < n ? p[i + run] : 0;
        const unsigned char after2 = i + run + 1 < n ? p[i + run + 1] : 0;
        const size_t row = std::min<size_t>(run, kMaxDigitRun);
        mask = f.digit_first_mask_[c - '0'] & f.prev_mask_[prev] &
               f.digit_gate_[(row * f.digit_after_classes_ + f.digit_after_class_[after]) * f.digit_after2_classes_ +
                             f.digit_after2_class_[after2]];
        if ((mask & (f.card_slots_ | f.ipv4_slots_ | f.ipv6_slots_ | f.phone_slots_ | f.crypto_slots_)) != 0)
          mask = settle_digit_start(f, mask, walk.window(offset), text, i);
        if ((mask & (f.street_slots_ | f.french_slots_)) != 0) mask = settle_street(f, mask, text, i + run);
      } else {
        const size_t row = static_cast<size_t>(f.other_class_[c]) * 256;
        mask = f.other_second_[row + second] & f.other_third_[row + third] & f.prev_mask_[prev];
        if (mask != 0) mask = settle_other_start(f, mask, walk, text, i);
      }
      while (mask != 0) {
        const Entry& e = f.slots_[static_cast<size_t>(std::countr_zero(mask))];
        mask &= mask - 1;
        if (shape_ok(*e.rule, text, i)) out.emplace_back(e.id, i);
      }
    }
    if (gate & kGateLiterals) {
      const uint32_t h = literal_hash(fold(c), fold(second), third);
      if ((f.literal_bits_[h >> 6] >> (h & 63)) & 1) {
        const uint32_t key = fold(c) | static_cast<uint32_t>(fold(second)) << 8 | static_cast<uint32_t>(third) << 16;
        literal_candidates(f, text, i, key, h, out);
      }
    }
    if (gate & kGateEmail) f.email_starts(p, i, from, out);
  }

  template <class Isa>
  __attribute__((always_inline)) static void scan(const StartFilter& f, std::string_view text, size_t from,
                                                  std::vector<std::pair<int, size_t>>& out) {
    const size_t n = text.size();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
    uint64_t carry = from > 0 && kTables.word[p[from - 1]] ? 1 : 0;  // the byte before is a word byte
    for (BlockWalk<Isa> walk(p, n, from); walk.base < n; walk.advance()) {
      const uint64_t word = walk.cur.word;
      // Word starts, and the non-word bytes some pattern may start with.
      uint64_t look = (word & ~((word << 1) | carry)) | (~word & walk.cur.special);
      carry = word >> 63;
      const bool near_end = n - walk.base < 64 + 2;  // p[i + 2] may be past the end
      while (look != 0) {
        const size_t i = walk.base + static_cast<size_t>(std::countr_zero(look));
        look &= look - 1;
        if (near_end) at_position<true>(f, text, i, from, walk, out);
        else at_position<false>(f, text, i, from, walk, out);
      }
    }
  }

  static void scan_sse2(const StartFilter& f, std::string_view text, size_t from,
                        std::vector<std::pair<int, size_t>>& out) {
    scan<Sse2>(f, text, from, out);
  }

  __attribute__((target("popcnt"))) static void scan_sse2_popcnt(const StartFilter& f, std::string_view text,
                                                                 size_t from,
                                                                 std::vector<std::pair<int, size_t>>& out) {
    scan<Sse2>(f, text, from, out);
  }

  WARDEN_AVX512 static void scan_avx512(const StartFilter& f, std::string_view text, size_t from,
                                        std::vector<std::pair<int, size_t>>& out) {
    scan<Avx512>(f, text, from, out);
  }
};

void StartFilter::candidates(std::string_view text, size_t from, std::vector<std::pair<int, size_t>>& out) const {
  if (!built_ || !fast_ok_) return candidates_reference(text, from, out);
  if (from >= text.size()) return;
  switch (simd_in_use()) {
    case Simd::kAvx512: return FastPath::scan_avx512(*this, text, from, out);
    case Simd::kSse2: {
      static const bool popcnt = (__builtin_cpu_init(), __builtin_cpu_supports("popcnt"));
      if (popcnt) return FastPath::scan_sse2_popcnt(*this, text, from, out);
      return FastPath::scan_sse2(*this, text, from, out);
    }
    default: return candidates_reference(text, from, out);
  }
}

#else  // no SIMD pass on this architecture: the reference loop

void StartFilter::candidates(std::string_view text, size_t from, std::vector<std::pair<int, size_t>>& out) const {
  candidates_reference(text, from, out);
}

#endif

}  // namespace warden::policy
