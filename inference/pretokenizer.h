// Pre-tokenizer of a Hugging Face byte-level BPE tokenizer: cuts text into the pieces that
// BPE then encodes one by one (BPE merges never cross a piece boundary).
//
// Built from the `pre_tokenizer` object of tokenizer.json. Supported: a Sequence of
// Split(behavior Isolated, invert false) and Digits steps, ending in ByteLevel(use_regex
// false, add_prefix_space false). Split regexes: DeepSeek-V3's three (each with its own
// scanner, one of them needs a lookahead), and the simple shapes of the DeepSeek LLM /
// Coder / V2 / V2-Lite tokenizers (an optional prefix character, one repeated class, an
// optional `$`; see pretokenizer_pattern.h). Digits(individual_digits) cuts out each
// \p{N} character, or each run of them. Anything else is refused with an error naming
// the unsupported part, because a silently different split would feed the model token ids
// it was never trained on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "inference/pretokenizer_pattern.h"

namespace warden::inference {

class PreTokenizer {
 public:
  // The regexes we recognize, each with a hand-written scanner that matches exactly what the
  // regex (leftmost-first, Oniguruma/JavaScript semantics) matches.
  enum class SplitPattern {
    kDigitsUpTo3,  // \p{N}{1,3}
    kCjkRun,       // [一-龥぀-ゟ゠-ヿ]+
    kDeepSeekV3Words,  // the V3 word/punctuation/whitespace alternation (with \s+(?!\S))
  };

  // Throws std::runtime_error naming the unsupported type, pattern or option.
  static PreTokenizer from_json(const core::Json& config);

  // Appends the pieces of `text` (valid UTF-8) to `pieces`; they view into `text` and,
  // concatenated, give back `text`.
  void split(std::string_view text, std::vector<std::string_view>& pieces) const;

  size_t step_count() const { return steps_.size(); }

 private:
  // One Split/Digits step: a V3 scanner or a simple pattern.
  struct Step {
    std::optional<SplitPattern> v3;
    SimpleSplitPattern simple;
  };

  std::vector<Step> steps_;
};

// Length in bytes of the match of `pattern` starting exactly at piece[pos], 0 when none.
// Exposed for tests.
size_t match_split_pattern(PreTokenizer::SplitPattern pattern, std::string_view piece, size_t pos);

}  // namespace warden::inference
