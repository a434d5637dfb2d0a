// Whole-word, case-folded phrase matching for deny_topics rules: many phrases in one
// pass (Aho-Corasick over folded bytes with a dense transition table over byte classes).
//
// Matching rules (see docs/policies.md): text is folded as text_fold.h describes, a run
// of white space in the text matches one space of a phrase (up to kMaxSpaceRun bytes),
// zero-width characters are skipped, and a phrase edge that is a letter or digit must
// not touch another letter or digit in the text (CJK characters count as separate words).
// Offsets are byte offsets into the text as given.
//
// Streaming: scan() with complete=false reports only matches that more text cannot change
// and says from where on the answer is still open (`unsettled`).
// Immutable after build(); safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace warden::policy {

class PhraseMatcher {
 public:
  static constexpr size_t kMaxPhraseBytes = 128;  // folded
  static constexpr size_t kMaxSpaceRun = 16;      // text bytes one phrase space stands for
  static constexpr size_t kMaxIgnorableRun = 16;  // zero-width characters skipped in a row
  static constexpr size_t kMaxStates = 200000;
  // The transition table has states x byte classes int32 entries; this caps it at 64 MiB.
  static constexpr size_t kMaxTableEntries = size_t{16} << 20;

  struct Match {
    size_t start = 0;
    size_t end = 0;
    uint32_t term = 0;  // index returned by add()
  };

  // Adds a phrase; returns its term index (the same index for a phrase that folds to one
  // already added). Throws std::invalid_argument when it folds to nothing or is too long.
  uint32_t add(std::string_view phrase);
  // Throws std::length_error when the phrases need more than kMaxStates states or a
  // table over kMaxTableEntries.
  void build();
  size_t term_count() const { return terms_.size(); }

  // Appends matches starting at or after `from` (a character boundary; text before it is
  // context). complete=false: the text may continue; matches whose right edge is not yet
  // decided are left out and `*unsettled` gets the earliest start of such a match or of a
  // phrase prefix still in progress (text.size() when none).
  void scan(std::string_view text, size_t from, bool complete, std::vector<Match>& out,
            size_t* unsettled = nullptr) const;

 private:
  struct Term {
    uint32_t folded_length = 0;
    bool left_boundary = false;   // first character is a word character of a spaced script
    bool right_boundary = false;  // same for the last character
  };
  int32_t step(int32_t state, unsigned char b) const {
    return delta_[static_cast<size_t>(state) * class_count_ + byte_class_[b]];
  }

  std::vector<std::string> folded_;  // by term index
  std::vector<Term> terms_;
  std::vector<uint8_t> byte_class_ = std::vector<uint8_t>(256, 0);
  size_t class_count_ = 1;
  std::vector<int32_t> delta_;     // [state * class_count_ + class] -> state
  std::vector<int32_t> out_term_;  // term ending exactly in this state, or -1
  std::vector<int32_t> out_link_;  // next state on the failure chain with a term, or -1
  std::vector<uint16_t> depth_;    // folded bytes from the root
  bool built_ = false;
};

}  // namespace warden::policy
