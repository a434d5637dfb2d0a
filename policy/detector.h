// The compiled scanner: builtin patterns, custom regexes and dictionaries, run over a
// text to produce raw candidate findings (before thresholds and overlap resolution).
//
// One pass: a byte-level prefilter lists where each builtin pattern could start (first
// byte and a cheap shape check); RE2 runs anchored there only, so a match depends only on
// the bytes around it, never on where the scan started. Custom regexes go through a
// RE2::Set over 4 KiB blocks, then a search. Validators decide.
// Immutable after construction; safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/dictionary_matcher.h"
#include "policy/finding.h"

namespace re2 {
class RE2;
}

namespace warden::policy {

struct CustomRegexEntity {
  EntityId type = 0;
  std::string name;
  std::string pattern;
  double score = 0.8;
  int max_len = 256;
  std::vector<std::string> context_words;  // lower-case; raise the score by 0.15
};

struct DictionaryEntity {
  EntityId type = 0;
  std::string name;
  std::vector<std::string> terms;
  double score = 0.85;
};

class Detector {
 public:
  // Bytes of text before a match start that a decision may look at.
  static constexpr size_t kLookback = 320;
  static constexpr size_t kPemMaxBytes = 8192;

  // `wanted[id]`: whether findings of that type are needed (patterns for unwanted types
  // are not compiled). Throws PolicyError naming the entity for a bad custom regex.
  Detector(const std::vector<bool>& wanted, const std::vector<CustomRegexEntity>& regexes,
           const std::vector<DictionaryEntity>& dictionaries);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Appends candidates whose match starts at or after `from` (dictionary and PEM: whose
  // value starts there). Throws RedactionError when a pattern cannot be evaluated.
  void scan(std::string_view text, size_t from, std::vector<Finding>& out) const;

  // Earliest position p >= from such that a match starting at p may still grow when more
  // text is appended (text.size() when none). `placeholders` adds vault placeholders.
  size_t pending_start(std::string_view text, size_t from, bool placeholders) const;

 private:
  struct Compiled;
  void evaluate_at(const Compiled& c, std::string_view text, size_t s, std::vector<Finding>& out) const;
  void scan_patterns(std::string_view text, size_t from, std::vector<Finding>& out) const;
  void scan_private_keys(std::string_view text, size_t from, std::vector<Finding>& out) const;
  size_t pem_pending_start(std::string_view text, size_t from) const;

  std::vector<std::unique_ptr<Compiled>> patterns_;
  std::unique_ptr<struct GateSet> gate_;      // custom regexes without a start shape
  std::vector<int> gated_;                     // gate index -> pattern index
  std::unique_ptr<class StartFilter> start_filter_;
  std::unique_ptr<re2::RE2> pending_;
  std::unique_ptr<re2::RE2> pending_with_placeholders_;
  size_t max_pending_len_ = 0;
  bool private_keys_ = false;
  DictionaryMatcher dictionary_;
};

}  // namespace warden::policy
