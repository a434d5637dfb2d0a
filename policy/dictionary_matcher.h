// Whole-word, case-folded dictionary matching over thousands of terms in one pass
// (Aho-Corasick with a dense transition table over byte classes). Used for custom
// dictionary entities such as a company directory of employee names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/finding.h"

namespace warden::policy {

class DictionaryMatcher {
 public:
  static constexpr size_t kMaxTermBytes = 128;

  // Terms are folded (ASCII and Latin-1 letters in UTF-8) and trimmed; empty terms and
  // duplicates are ignored. Throws std::invalid_argument for a term over kMaxTermBytes.
  void add(std::string_view term, EntityId type, double score);
  void build();
  bool empty() const { return terms_.empty(); }
  size_t term_count() const { return terms_.size(); }

  // Appends whole-word matches that start at or after `from`.
  void scan(std::string_view text, size_t from, std::vector<Finding>& out) const;
  // Length of the longest suffix of text[from..] that is a prefix of (or equal to) a term.
  size_t pending_length(std::string_view text, size_t from) const;

 private:
  struct Term {
    uint32_t length;
    EntityId type;
    double score;
  };
  int32_t step(int32_t state, unsigned char folded) const {
    return delta_[static_cast<size_t>(state) * class_count_ + byte_class_[folded]];
  }

  std::vector<std::string> pending_terms_;  // folded terms before build()
  std::vector<Term> pending_meta_;
  std::vector<Term> terms_;
  std::vector<uint8_t> byte_class_ = std::vector<uint8_t>(256, 0);
  size_t class_count_ = 1;
  std::vector<int32_t> delta_;       // [state, class] -> state
  std::vector<int32_t> out_term_;    // longest term ending in state, or -1
  std::vector<int32_t> out_link_;    // next state on the failure chain with an output
  std::vector<uint16_t> depth_;
};

// Case folding used by dictionaries: ASCII A-Z and UTF-8 Latin-1 capitals (U+00C0..U+00DE).
std::string fold_case(std::string_view s);

}  // namespace warden::policy
