// Stop strings at the text level, across token boundaries.
//
// Generated text arrives in pieces (one per token). A stop string may straddle pieces, so
// the tail of the text that could still be the start of a stop string is held back until
// the next piece shows whether it is one. Text before a stop string is emitted; the stop
// string and anything after it are not (OpenAI semantics). Feed it complete UTF-8 (from
// Utf8StreamDecoder): held-back text then always starts on a character boundary.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace warden::inference {

class StopStringMatcher {
 public:
  // Empty strings are ignored.
  explicit StopStringMatcher(std::vector<std::string> stop_strings);

  struct Result {
    std::string text;      // safe to emit now
    bool stopped = false;  // a stop string was found; generation ends, nothing more to emit
  };
  Result push(std::string_view text);
  // Generation ended for another reason: returns the held-back text.
  std::string flush();

  bool empty() const { return stop_strings_.empty(); }
  size_t held_bytes() const { return pending_.size(); }

 private:
  std::vector<std::string> stop_strings_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace warden::inference
