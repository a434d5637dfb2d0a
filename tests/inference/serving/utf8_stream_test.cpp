// Streaming detokenization: deltas are complete UTF-8 and concatenate to the full decode.
#include <catch2/catch.hpp>

#include <random>

#include "core/utf8.h"
#include "inference/utf8_stream.h"
#include "serving_test_util.h"
#include "test_corpus.h"

using namespace warden::inference;
using namespace warden::inference::testing;

TEST_CASE("lossy UTF-8 conversion replaces maximal invalid subparts", "[utf8]") {
  auto lossy = [](std::string_view bytes) {
    std::string out;
    append_utf8_lossy(out, bytes, true);
    return out;
  };
  // Examples from Unicode's "U+FFFD substitution of maximal subparts" practice.
  CHECK(lossy("a\xF1\x80\x80" "b") == "a\xEF\xBF\xBD" "b");   // truncated 4-byte: one U+FFFD
  CHECK(lossy("\xE0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD");      // overlong: E0 then 80 separately
  CHECK(lossy("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(lossy("\xC3\xA9") == "\xC3\xA9");
  CHECK(lossy("\xFF") == "\xEF\xBF\xBD");
  std::string out;
  CHECK(append_utf8_lossy(out, "x\xE2\x82", false) == 1);  // holds back the partial euro sign
  CHECK(out == "x");
}

TEST_CASE("byte stream never splits a character", "[utf8]") {
  Utf8ByteStream stream;
  std::string euro = "\xE2\x82\xAC";
  CHECK(stream.push(euro.substr(0, 1)).empty());
  CHECK(stream.push(euro.substr(1, 1)).empty());
  CHECK(stream.pending_bytes() == 2);
  CHECK(stream.push(euro.substr(2, 1)) == euro);
  CHECK(stream.push("\xF0\x9F").empty());
  CHECK(stream.flush() == "\xEF\xBF\xBD");  // never completed
}

TEST_CASE("streamed deltas concatenate to the full decode and are whole characters", "[utf8]") {
  const Tokenizer& tokenizer = deepseek_v3_tokenizer();
  std::vector<std::string> corpus = make_tokenizer_corpus(99, 400);
  std::mt19937 rng(5);
  size_t split_chars = 0;
  for (const auto& text : corpus) {
    std::vector<TokenId> ids = tokenizer.encode(text);
    // Add random raw ids (including byte tokens that leave characters unfinished) and
    // special tokens, which are skipped.
    for (int k = 0; k < 3; ++k) {
      ids.insert(ids.begin() + static_cast<std::ptrdiff_t>(rng() % (ids.size() + 1)),
                 static_cast<TokenId>(rng() % 128815));
    }
    Utf8StreamDecoder decoder(tokenizer);
    std::string streamed;
    for (TokenId id : ids) {
      std::string delta = decoder.push(id);
      REQUIRE(warden::core::utf8_valid(delta));
      streamed += delta;
      std::string_view bytes = tokenizer.token_bytes(id);
      if (!bytes.empty() && !warden::core::utf8_valid(bytes)) ++split_chars;
    }
    std::string tail = decoder.flush();
    REQUIRE(warden::core::utf8_valid(tail));
    streamed += tail;
    REQUIRE(streamed == tokenizer.decode(ids));
  }
  CHECK(split_chars > 100);  // the corpus really has tokens that are partial characters
}
