// The C++ tokenizer against @lenml/tokenizers (transformers.js) on a generated corpus.
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>

#include "core/json.h"
#include "serving_test_util.h"
#include "test_corpus.h"

using namespace warden::inference;
using namespace warden::inference::testing;

namespace {

std::vector<std::string> as_text_requests(const std::vector<std::string>& texts) {
  std::vector<std::string> lines;
  for (const auto& t : texts) {
    warden::core::Json j = warden::core::Json::object();
    j.set("text", t);
    lines.push_back(j.dump());
  }
  return lines;
}

}  // namespace

TEST_CASE("tokenizer loads tokenizer.json and tokenizer_config.json", "[tokenizer]") {
  auto start = std::chrono::steady_clock::now();
  auto tokenizer = Tokenizer::load(deepseek_v3_model_dir());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "tokenizer load: " << seconds << " s\n";
  CHECK(tokenizer->vocab_size() == 128815);
  CHECK(tokenizer->bos_id() == 0);
  CHECK(tokenizer->eos_id() == 1);
  CHECK(tokenizer->is_special(1));
  CHECK_FALSE(tokenizer->is_special(128803));  // <｜User｜> is an added, non-special token
  CHECK(tokenizer->added_token_id("<｜User｜>") == 128803);
  CHECK(tokenizer->token_bytes(1) == "<｜end▁of▁sentence｜>");
  CHECK_FALSE(tokenizer->chat_template().empty());
  CHECK_THROWS_WITH(Tokenizer::load("/nonexistent-model-dir"), Catch::Contains("tokenizer.json"));
}

TEST_CASE("token ids match the JavaScript reference on a varied corpus", "[tokenizer][js]") {
  const Tokenizer& tokenizer = deepseek_v3_tokenizer();
  std::vector<std::string> corpus = make_tokenizer_corpus(20261123, 6000);
  // Plus fixed lines that probe the whitespace lookahead and digit grouping at edges.
  for (const char* s : {"", " ", "  ", "a ", " a", "a  b", "\n", " \n ", "\r\n\r\n", "1", "1234567890",
                        "x\t\t\ty", "   leading", "trailing   ", "?!  ?!", "你好 世界", "«ab»"}) {
    corpus.emplace_back(s);
  }
  size_t bytes = 0;
  for (const auto& line : corpus) bytes += line.size();

  auto expected = parse_id_lines(run_node_script("js_tokenize.js", {deepseek_v3_model_dir().string(), "text"},
                                                 as_text_requests(corpus)));
  REQUIRE(expected.size() == corpus.size());
  size_t mismatches = 0;
  size_t tokens = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    std::vector<TokenId> ids = tokenizer.encode(corpus[i]);
    tokens += ids.size();
    if (ids != expected[i]) {
      if (++mismatches <= 5) {
        UNSCOPED_INFO("line " << i << ": " << warden::core::json_quote(corpus[i]));
        CHECK(ids == expected[i]);
      }
    }
    // Decoding gives the text back exactly (byte-level BPE is lossless).
    if (tokenizer.decode(ids) != corpus[i]) {
      FAIL("decode(encode(text)) != text on line " << i);
    }
  }
  std::cout << "tokenizer vs JS: " << corpus.size() << " lines, " << bytes << " bytes, " << tokens
            << " tokens, " << mismatches << " mismatches\n";
  CHECK(mismatches == 0);
}

TEST_CASE("text that looks like a special token is encoded as ordinary text", "[tokenizer]") {
  const Tokenizer& tokenizer = deepseek_v3_tokenizer();
  for (const auto& added : tokenizer.added_tokens()) {
    std::string text = "say " + added.content + " now";
    std::vector<TokenId> ids = tokenizer.encode(text);
    for (TokenId id : ids) {
      INFO(added.content);
      REQUIRE(tokenizer.added_token_id(tokenizer.token_bytes(id)) == std::nullopt);
    }
    REQUIRE(tokenizer.decode(ids) == text);
  }
  std::vector<TokenId> eos = tokenizer.encode("<｜end▁of▁sentence｜>");
  CHECK(eos.size() > 1);
  CHECK(std::find(eos.begin(), eos.end(), 1) == eos.end());
}

TEST_CASE("invalid UTF-8 input is refused with its offset", "[tokenizer]") {
  CHECK_THROWS_WITH(deepseek_v3_tokenizer().encode("ab\xFF"), Catch::Contains("offset 2"));
}

TEST_CASE("tokenizer speed figure", "[tokenizer][speed]") {
  std::vector<std::string> corpus = make_tokenizer_corpus(7, 4000);
  std::string text;
  for (const auto& line : corpus) text += line + "\n";
  // Cold: a fresh tokenizer has an empty cache.
  auto fresh = Tokenizer::load(deepseek_v3_model_dir());
  auto start = std::chrono::steady_clock::now();
  size_t tokens = fresh->encode(text).size();
  double cold = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  start = std::chrono::steady_clock::now();
  size_t again = fresh->encode(text).size();
  double warm = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(tokens == again);
  std::cout << "tokenizer encode: " << text.size() / 1e6 << " MB -> " << tokens << " tokens; cold "
            << text.size() / 1e6 / cold << " MB/s, warm cache " << text.size() / 1e6 / warm << " MB/s\n";
}
