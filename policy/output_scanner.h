// Incremental scanner for a streamed answer: feed() returns the text that is safe to emit
// now, finish() the rest. Holds back only bytes a pending match could still need (a card
// number split across chunks is caught; plain prose flows through), restores pseudonyms
// the model echoes (also when split), and applies the policy to new PII.
//
// Property (tested and fuzzed): concatenating feed() outputs and finish() for any chunking
// equals RedactionSession::scan_output() on the whole text.
// Not thread-safe (one stream, one scanner); the session must outlive it. Throws
// RedactionError when scanning fails: the caller must end the stream, not emit raw text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/redactor.h"

namespace warden::policy {

class OutputScanner {
 public:
  explicit OutputScanner(RedactionSession& session);

  std::string feed(std::string_view chunk);
  std::string finish();

  // An output-side `block` ended the stream (finish_reason "content_filter").
  bool blocked() const { return !blocked_types_.empty(); }
  const std::vector<std::string>& blocked_types() const { return blocked_types_; }
  // Replaced spans, in byte offsets of the whole model output.
  const std::vector<RedactedSpan>& spans() const { return spans_; }
  // Bytes received but not yet emitted.
  size_t held_bytes() const { return base_ + buffer_.size() - emitted_; }

 private:
  std::string advance(bool final);

  RedactionSession& session_;
  const Redactor& redactor_;
  size_t restore_limit_;
  bool restore_;
  std::string buffer_;  // text from absolute offset base_ on (lookback + held bytes)
  size_t base_ = 0;
  size_t emitted_ = 0;  // absolute offset up to which output was produced
  bool finished_ = false;
  std::vector<RedactedSpan> spans_;
  std::vector<std::string> blocked_types_;
};

}  // namespace warden::policy
