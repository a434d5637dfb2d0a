// The prefilter: one pass over the text that lists, for each builtin pattern, the
// positions where a match could start (a cheap necessary condition per pattern: first
// byte, then a shape such as "13+ digits" or a cue word). RE2 then runs anchored at those
// positions only, so plain prose and most code never reach a regex.
//
// Fast path (start_filter_fast.cpp): a SIMD pass over 64-byte blocks keeps only word starts
// and the few non-word bytes a pattern may start with; at each, small tables (the first two
// bytes; for digits the length of the run and the bytes around it; for other shapes the
// second, third and previous byte; for literals a hash of the first three bytes) give the
// patterns that may start there as a bit mask of "slots". Shapes that need a longer look
// (13 digits in a card-like run, 7 digits among phone characters, the colons of an IPv6
// address, ...) are then settled by bit counts over per-block masks of character classes,
// so the per-pattern check (shape_ok) runs only where a match is likely.
// `candidates_reference` is the plain byte loop that the fast path must equal (tests
// compare them).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/builtin_patterns.h"

namespace warden::policy {

class StartFilter {
 public:
  // `id`: the caller's pattern index. Rules of shape kAny must not be added.
  void add(int id, const StartRule& rule);
  // Derives the fast path's tables; call after the last add() (until then, candidates()
  // uses the reference loop).
  void build();
  bool empty() const { return count_ == 0; }

  // Appends (id, start) for every possible match start at or after `from`, in increasing
  // order of start (email starts, found at their '@', come when the '@' is reached).
  void candidates(std::string_view text, size_t from, std::vector<std::pair<int, size_t>>& out) const;
  // The same list, byte by byte without the SIMD pass and the bitmaps.
  void candidates_reference(std::string_view text, size_t from,
                            std::vector<std::pair<int, size_t>>& out) const;

  // The instruction set candidates() uses: the best the CPU has (kAuto), or a lower one that
  // tests and benchmarks force process-wide. kNone: the reference loop.
  enum class Simd { kAuto, kNone, kSse2, kAvx512 };
  static void force_simd(Simd level);
  static Simd simd_in_use();

 private:
  using ByteSet = std::array<uint64_t, 4>;
  static constexpr size_t kMaxDigitRun = 15;
  static constexpr size_t kLiteralBuckets = 4096;
  static constexpr size_t kMaxSlots = 32;
  enum : uint8_t { kGateShapes = 1, kGateLiterals = 2, kGateEmail = 4 };
  struct Entry {
    int id;
    const StartRule* rule;
    size_t added;  // sequence number of the add() call: the order of every list
  };
  // A literal (cue word or token prefix) of one pattern, listed under its first byte.
  struct LiteralEntry {
    int id;
    const StartRule* rule;
    const std::string* literal;
  };
  // The fast path (start_filter_fast.cpp): the SIMD pass, the slot tables and the bit counts.
  struct FastPath;

  static bool shape_ok(const StartRule& rule, std::string_view text, size_t i);
  static bool literal_ok(const LiteralEntry& e, std::string_view text, size_t i);
  static bool has(const ByteSet& set, unsigned char c) { return (set[c >> 6] >> (c & 63)) & 1; }
  static uint32_t literal_hash(unsigned char a, unsigned char b, unsigned char c) {
    const uint32_t key = static_cast<uint32_t>(a) | static_cast<uint32_t>(b) << 8 | static_cast<uint32_t>(c) << 16;
    return (key * 0x9E3779B1u) >> 16;
  }
  void email_starts(const unsigned char* p, size_t i, size_t from, std::vector<std::pair<int, size_t>>& out) const;
  void build_slots();

  std::deque<StartRule> rules_;  // stable addresses
  std::array<std::vector<Entry>, 256> by_first_byte_;  // non-literal shapes
  // Literals grouped by their case-folded first two bytes (CSR layout: entries of key k
  // are literal_entries_[literal_begin_[k] .. literal_begin_[k + 1])).
  std::vector<std::pair<uint16_t, LiteralEntry>> literal_staging_;
  std::vector<LiteralEntry> literal_entries_;
  std::vector<uint32_t> literal_begin_ = std::vector<uint32_t>((1 << 16) + 1, 0);
  std::vector<int> email_ids_;
  std::array<bool, 256> interesting_{};          // bytes where some pattern may start
  std::array<bool, 256> interesting_literal_{};  // first bytes of literals
  size_t count_ = 0;
  bool duplicate_id_ = false;

  // --- fast path (all derived from the above by build()) ---
  bool built_ = false;
  bool fast_ok_ = true;  // false: patterns the SIMD pass or the masks cannot express
  // gate_[first | second << 8]: kGate* bits, what may start at a position with these bytes.
  std::vector<uint8_t> gate_ = std::vector<uint8_t>(1 << 16, 0);
  // Literals by literal_hash(folded first byte, folded second byte, third byte as in the
  // text): a bitmap, then buckets (hash % kLiteralBuckets) of items in ascending order of
  // literal_entries_ index, so that they are tried in the reference's order. An item holds
  // the exact three bytes it stands for and the fourth bytes its literal_ok may accept after
  // them (literal_fourth_[fourth]; [0]: every byte), so most hash collisions and words that
  // share the first three bytes with a literal never reach literal_ok.
  struct LiteralItem {
    uint32_t key;       // folded first | folded second << 8 | third << 16
    uint16_t entry;     // index into literal_entries_
    uint16_t fourth;    // index into literal_fourth_
  };
  std::vector<uint64_t> literal_bits_ = std::vector<uint64_t>((1 << 16) / 64, 0);
  std::vector<uint32_t> literal_bucket_begin_;
  std::vector<LiteralItem> literal_items_;
  std::vector<ByteSet> literal_fourth_;
  // One slot per shape pattern, in the order of add(); candidate lists are bit masks of slots.
  std::vector<Entry> slots_;
  std::array<uint32_t, 256> prev_mask_{};  // slots the byte before a start allows
  // Shapes at a digit: a position's candidates are the slots in digit_first_mask_[digit] &
  // prev_mask_[byte before] & digit_gate_[(row * digit_after_classes_ + class of the byte
  // after the run of digits) * digit_after2_classes_ + class of the byte after that],
  // row = min(length of the run, kMaxDigitRun).
  std::array<uint32_t, 10> digit_first_mask_{};
  std::array<uint8_t, 256> digit_after_class_{};
  std::array<uint8_t, 256> digit_after2_class_{};
  size_t digit_after_classes_ = 1;
  size_t digit_after2_classes_ = 1;
  std::vector<uint32_t> digit_gate_;
  // Shapes at any other byte: first bytes with the same rules share a class (0: none);
  // candidates are other_second_[class * 256 + second] & other_third_[class * 256 + third] &
  // prev_mask_[byte before].
  std::array<uint8_t, 256> other_class_{};
  std::vector<uint32_t> other_second_;
  std::vector<uint32_t> other_third_;
  // Slots of the shapes FastPath settles by bit counts or by the bytes after the digits;
  // card_ok_[digits in the card-like run] keeps the card slots whose min_digits that many
  // digits reach, and every other slot.
  uint32_t card_slots_ = 0, ipv4_slots_ = 0, ipv6_slots_ = 0, phone_slots_ = 0, crypto_slots_ = 0;
  uint32_t compound_slots_ = 0, street_slots_ = 0, french_slots_ = 0;
  std::array<uint32_t, 65> card_ok_{};
};

}  // namespace warden::policy
