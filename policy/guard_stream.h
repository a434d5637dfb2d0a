// Internal: output guardrails (deny_topics and regex rules) over a streamed answer.
//
// push() takes the next piece of the text the caller would see and returns what may be
// sent now. A byte is sent only once no rule match that could start at or before it is
// still undecided: deny_topics holds back at most a phrase prefix in progress (plus the
// next character, to see the word boundary); a regex rule holds back at most
// max_len + step + 4 bytes (windowed_regex.h). Whatever the chunking, the concatenated
// output, the verdicts and the stop point equal those of one push of the whole text.
//
// Semantics on the whole text: every rule sees the same text. A deny match counts unless
// an exception of its rule covers it (deny_topics) or a match of an allow regex rule
// listed before it covers it. The first block match in text order stops the answer
// (ties: the rule listed first): the text before it is sent, nothing from it on.
// Redact matches before that are replaced: each maximal union of overlapping redact
// matches becomes one "[REDACTED:<rule id>]" naming the rule of its first match.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/guardrails.h"

namespace warden::policy {

class GuardStream {
 public:
  explicit GuardStream(const std::vector<GuardRule>& rules);

  // `final`: the text ends after this piece (no more push calls will have effect).
  std::string push(std::string_view text, bool final);

  bool blocked() const { return blocked_; }
  size_t block_rule() const { return block_rule_; }
  size_t held_bytes() const { return base_ + buffer_.size() - emitted_; }
  bool redacted() const { return redactions_ > 0; }

  struct RuleTally {
    size_t hits = 0;
    std::string first;  // first match, for the verdict detail
  };
  const std::vector<RuleTally>& tallies() const { return tallies_; }  // by rule index
  const std::vector<MatchReport>& matches() const { return matches_; }

 private:
  struct Candidate {
    size_t start;
    size_t end;
    size_t rule;
    std::string what;
    std::string exempted_by;  // set when an allow rule covers it (it then counts for nothing)
  };
  struct RegexState {
    size_t pos = 0;
    std::vector<std::pair<size_t, size_t>> found;  // absolute; deny: not yet acted on, allow: may still cover
  };
  struct PhraseState {
    std::vector<std::pair<size_t, size_t>> exceptions;  // settled exception matches that may still cover
  };

  size_t frontier(bool final, std::vector<Candidate>& candidates);
  void record(const Candidate& c);

  const std::vector<GuardRule>& rules_;
  std::vector<RegexState> regex_;    // by rule index (unused for other kinds)
  std::vector<PhraseState> phrase_;  // by rule index
  std::vector<RuleTally> tallies_;
  std::vector<MatchReport> matches_;
  std::string buffer_;  // absolute range [base_, base_ + buffer_.size())
  size_t base_ = 0;
  size_t emitted_ = 0;
  bool blocked_ = false;
  bool done_ = false;
  size_t block_rule_ = 0;
  size_t redactions_ = 0;
  bool any_rules_ = false;
};

}  // namespace warden::policy
