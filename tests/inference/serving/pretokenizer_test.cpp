// Known-answer splits for the DeepSeek-V3 pre-tokenizer, derived by hand from the regexes
// (the JS comparison in tokenizer_js_test.cpp covers the broad corpus).
#include <catch2/catch.hpp>

#include <fstream>

#include "inference/pretokenizer.h"
#include "inference/pretokenizer_unicode.h"
#include "serving_test_util.h"

using warden::inference::kLetter;
using warden::inference::kMark;
using warden::inference::kNumber;
using warden::inference::kPunctuation;
using warden::inference::kSpace;
using warden::inference::kSymbol;
using warden::inference::unicode_class;

namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string_view> pieces;
  warden::inference::testing::deepseek_v3_tokenizer().pre_tokenizer().split(text, pieces);
  return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

}  // namespace

TEST_CASE("unicode classes match the general categories", "[pretokenizer]") {
  CHECK(unicode_class(U'a') == kLetter);
  CHECK(unicode_class(U'é') == kLetter);
  CHECK(unicode_class(0x0301) == kMark);  // combining acute
  CHECK(unicode_class(U'7') == kNumber);
  CHECK(unicode_class(0x0663) == kNumber);  // Arabic-Indic three
  CHECK(unicode_class(U'!') == kPunctuation);
  CHECK(unicode_class(U'$') == kSymbol);
  CHECK(unicode_class(0x1F600) == kSymbol);  // emoji: So
  CHECK(unicode_class(U' ') == kSpace);
  CHECK(unicode_class(0x3000) == kSpace);
  CHECK(unicode_class(0x0085) == kSpace);  // NEL is White_Space (Oniguruma \s)
  CHECK(unicode_class(0xFEFF) == 0);       // BOM is not
  CHECK(unicode_class(0x200D) == 0);       // ZWJ: Cf
  CHECK(unicode_class(0x110000) == 0);
}

TEST_CASE("pre-tokenizer splits like the DeepSeek-V3 regexes", "[pretokenizer]") {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/tests/inference/serving/data/pretokenizer_cases.jsonl");
  REQUIRE(in);
  int cases = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto c = warden::core::Json::parse(line);
    Pieces expected;
    for (const auto& p : c.at("pieces").as_array()) expected.push_back(p.as_string());
    INFO(c.at("why").as_string());
    CHECK(split(c.at("text").as_string()) == expected);
    ++cases;
  }
  CHECK(cases >= 15);
}

TEST_CASE("pre-tokenizer refuses patterns it has no scanner for", "[pretokenizer]") {
  auto config = warden::core::Json::parse(
      R"({"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\w+"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]})");
  CHECK_THROWS_WITH(warden::inference::PreTokenizer::from_json(config),
                    Catch::Contains("unsupported Split regex"));
  auto whitespace = warden::core::Json::parse(R"({"type":"Whitespace"})");
  CHECK_THROWS_WITH(warden::inference::PreTokenizer::from_json(whitespace), Catch::Contains("Sequence"));
}
