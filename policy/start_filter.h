// The prefilter: one pass over the text that lists, for each builtin pattern, the
// positions where a match could start (a cheap necessary condition per pattern: first
// byte, then a shape such as "13+ digits" or a cue word). RE2 then runs anchored at those
// positions only, so plain prose and most code never reach a regex.
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
  bool empty() const { return count_ == 0; }

  // Appends (id, start) for every possible match start at or after `from`.
  void candidates(std::string_view text, size_t from, std::vector<std::pair<int, size_t>>& out) const;

 private:
  struct Entry {
    int id;
    const StartRule* rule;
  };
  // A literal (cue word or token prefix) of one pattern, listed under its first byte.
  struct LiteralEntry {
    int id;
    const StartRule* rule;
    const std::string* literal;
  };
  static bool shape_ok(const StartRule& rule, std::string_view text, size_t i);
  static bool literal_ok(const LiteralEntry& e, std::string_view text, size_t i);

  std::deque<StartRule> rules_;  // stable addresses
  std::array<std::vector<Entry>, 256> by_first_byte_;          // non-literal shapes
  // Literals grouped by their case-folded first two bytes (CSR layout: entries of key k
  // are literal_entries_[literal_begin_[k] .. literal_begin_[k + 1])).
  std::vector<std::pair<uint16_t, LiteralEntry>> literal_staging_;
  std::vector<LiteralEntry> literal_entries_;
  std::vector<uint32_t> literal_begin_ = std::vector<uint32_t>((1 << 16) + 1, 0);
  void rebuild_literal_index();
  std::vector<int> email_ids_;
  std::array<bool, 256> interesting_{};          // bytes where some pattern may start
  std::array<bool, 256> interesting_literal_{};  // first bytes of literals
  size_t count_ = 0;
};

}  // namespace warden::policy
