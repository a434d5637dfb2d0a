// Streaming detokenization: token ids arrive one at a time, but a UTF-8 character can be
// split across tokens (byte-level BPE). The decoder emits only complete characters and
// holds back a partial sequence until the bytes that finish it arrive (or the stream ends).
//
// Invariant the tests check: the concatenation of everything push() and flush() return
// equals Tokenizer::decode of all ids, and no returned string splits a character.
// Invalid bytes become U+FFFD, one per maximal invalid subpart (as Rust's from_utf8_lossy).
#pragma once

#include <string>
#include <string_view>

#include "inference/language_model.h"

namespace warden::inference {

class Tokenizer;

// Appends the text of `bytes` to `out`, replacing invalid sequences with U+FFFD. When
// `at_end` is false a trailing sequence that is incomplete but could still become valid is
// left unconsumed. Returns the number of bytes consumed.
size_t append_utf8_lossy(std::string& out, std::string_view bytes, bool at_end);

// Bytes in, complete UTF-8 text out.
class Utf8ByteStream {
 public:
  // Returns the text that became complete with `bytes`.
  std::string push(std::string_view bytes);
  // Returns whatever is held back, as U+FFFD when it never completed.
  std::string flush();
  size_t pending_bytes() const { return pending_.size(); }

 private:
  std::string pending_;
};

// Token ids in, complete UTF-8 text out. One per generated sequence; not thread-safe.
class Utf8StreamDecoder {
 public:
  explicit Utf8StreamDecoder(const Tokenizer& tokenizer, bool skip_special = true)
      : tokenizer_(&tokenizer), skip_special_(skip_special) {}

  std::string push(TokenId id);
  std::string flush() { return bytes_.flush(); }

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  Utf8ByteStream bytes_;
};

}  // namespace warden::inference
