// The builtin detector table: one entry per pattern, with its validator, context words
// and the "pending" rule the streaming scanner uses to know how much to hold back.
#pragma once

#include <string>
#include <vector>

#include "policy/entity_type.h"
#include "policy/shape_matchers.h"
#include "policy/validators.h"

namespace warden::policy {

// Where a match of a pattern can start, as a cheap necessary condition checked before
// RE2 runs (the prefilter). kAny: no shape known (custom regexes), search everywhere.
enum class StartShape {
  kAny,
  kLiterals,        // starts with one of `literals` (case-insensitive when set)
  kCue,             // starts with a cue word from `literals`, then `follow`
  kEmail,           // local part before an '@'
  kCardLike,        // >= min_digits digits in a run of digits with single ' ' / '-'
  kIpv4,            // d{1,3}.d
  kIpv6,            // hex{0,4}:hex{0,4}:
  kPhone,           // '+', '(', digit; >= 7 digits in the next 26 bytes of phone characters
  kStreetNumber,    // d{1,5}[A-Za-z]? then space + capital
  kFrenchStreet,    // d{1,4} then ' ', ',' or bis/ter
  kCompoundStreet,  // Capitalised word then ' ' and a digit
  kCrypto,          // [13] + 25 base58 characters, or bc1 / BC1
  kIban,            // [A-Z]{2}[0-9]{2}
  kSsn,             // ddd[ -]?dd[ -]?dddd, not followed by a digit
};
enum class CueFollow { kAny, kSeparator, kCapital };

struct StartRule {
  StartShape shape = StartShape::kAny;
  std::vector<std::string> literals;
  bool case_insensitive = false;
  CueFollow follow = CueFollow::kAny;
  int min_digits = 0;
};

struct PatternSpec {
  EntityId type = 0;
  EntityId also_emits = -1;  // a second type the validator may report (URL -> PASSWORD)
  std::string regex;         // RE2, UTF-8, leftmost-longest; group 1 (if any) is the value
  // Latin-1 RE2 that fully matches every prefix of every match plus the two bytes a
  // validator may peek at after it; must be prefix-closed. Streaming uses it as
  // "a match may still be growing from here".
  std::string pending;
  int max_len = 64;          // a match never needs more bytes than this
  double score = 0.5;
  ValidatorFn validate = nullptr;
  std::vector<std::string> context_words;   // lower-case; within kContextLookback raise score
  double context_boost = 0.0;
  std::vector<std::string> negative_words;  // lower-case; within kContextLookback reject
  // Optional. When set, `regex` is value_prefix followed by one capturing group (the value)
  // that ends the regex, and no match splits into a value_prefix match and a value in two
  // ways (the prefix ends in separators, the value starts with a letter). The value then
  // starts where the longest value_prefix match ends: two DFA searches instead of RE2's
  // slower submatch engines (the value's Unicode classes make the program large).
  std::string value_prefix;
  // Necessary condition used by the per-block RE2::Set prefilter; must match within
  // Detector::kGateOverlap bytes of any match start. Empty: the regex itself.
  std::string gate;
  StartRule start;
  // Optional. A hand-written matcher that gives exactly RE2's match of `regex` (which then
  // has no capturing group): the detector calls it instead of RE2.
  ShapeMatchFn shape_match = nullptr;
};

const std::vector<PatternSpec>& builtin_patterns();

// Helpers shared with custom entities.
std::string regex_escape_latin1(std::string_view literal);  // every non-alnum byte as \xHH
// (?:p|pr|pre|...) over all non-empty proper prefixes of every literal, case-insensitive.
std::string literal_prefix_alternation(const std::vector<std::string>& literals);

}  // namespace warden::policy
