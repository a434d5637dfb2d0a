// The DeepSeek-V2 / V2-Lite pre-tokenizer (also DeepSeek LLM's): a Sequence of Split
// regexes of simple shapes, one of them anchored with `$`. The pattern strings are the
// published ones (data/deepseek_v2_pre_tokenizer.json, see docs/model.md for where they
// come from and which three characters had to be restored from their NFC forms). Checked
// three ways: hand-derived splits, the JavaScript regex engine on a generated corpus, and
// the Digits(individual_digits) variant against the \p{N}+ variant cut into characters.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "inference/pretokenizer.h"
#include "inference/pretokenizer_pattern.h"
#include "inference/pretokenizer_unicode.h"
#include "inference/tokenizer.h"
#include "serving_test_util.h"
#include "test_corpus.h"

using namespace warden::inference;
using warden::core::Json;

namespace {

std::string data_path(const std::string& name) {
  return std::string(WARDEN_SOURCE_DIR) + "/tests/inference/serving/data/" + name;
}

Json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

const Json& v2_pre_tokenizer_json() {
  static const Json j = read_json_file(data_path("deepseek_v2_pre_tokenizer.json"));
  return j;
}

// The DeepSeek Coder list (published beside the LLM/V2 one), also of supported shapes.
Json coder_pre_tokenizer_json() {
  Json steps = Json::array();
  for (const char* re : {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\xE4\xB8\x80-\xE9\xBE\xA5\xE0\xA0\x80-\xE4\xB8\x80\xEA\xB0\x80-\xED\x9F\xBF]+",
                         "\\p{N}"}) {
    Json pattern = Json::object();
    pattern.set("Regex", re);
    Json step = Json::object();
    step.set("type", "Split");
    step.set("pattern", pattern);
    step.set("behavior", "Isolated");
    step.set("invert", false);
    steps.push_back(step);
  }
  Json byte_level = Json::object();
  byte_level.set("type", "ByteLevel");
  byte_level.set("add_prefix_space", false);
  byte_level.set("use_regex", false);
  steps.push_back(byte_level);
  Json j = Json::object();
  j.set("type", "Sequence");
  j.set("pretokenizers", steps);
  return j;
}

std::vector<std::string> split(const PreTokenizer& p, const std::string& text) {
  std::vector<std::string_view> pieces;
  p.split(text, pieces);
  return {pieces.begin(), pieces.end()};
}

std::vector<std::string> as_text_requests(const std::vector<std::string>& texts) {
  std::vector<std::string> lines;
  for (const auto& t : texts) {
    Json j = Json::object();
    j.set("text", t);
    lines.push_back(j.dump());
  }
  return lines;
}

// C++ pieces against js_pretokenize.js on `corpus`; returns the number of lines that differ.
size_t compare_with_js(const PreTokenizer& p, const std::string& pre_tokenizer_file,
                       const std::vector<std::string>& corpus) {
  const auto lines = testing::run_node_script("js_pretokenize.js", {pre_tokenizer_file}, as_text_requests(corpus));
  REQUIRE(lines.size() == corpus.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const Json reply = Json::parse(lines[i]);
    std::vector<std::string> expected;
    for (const auto& piece : reply.at("pieces").as_array()) expected.push_back(piece.as_string());
    if (split(p, corpus[i]) != expected && ++mismatches <= 5) {
      UNSCOPED_INFO("line " << i << ": " << warden::core::json_quote(corpus[i]));
      CHECK(split(p, corpus[i]) == expected);
    }
  }
  return mismatches;
}

std::vector<std::string> corpus_for_js() {
  // JavaScript's \s differs from Oniguruma's on U+0085 and U+FEFF; the generator leaves
  // both out. Plus fixed lines probing the `$` anchor and the class edges.
  std::vector<std::string> corpus = testing::make_tokenizer_corpus(20261124, 3000);
  for (const char* s : {"", " ", "  ", "\t \t", "x ", "x  ", " x", "\n ", " \n", "a \r\n b ", "1 ", "😀 ", "😀\t\t",
                        "K\xE2\x84\xAA", "\xE1\xBD\xA0\xE1\xBD\xBD", "\xC2\xB5x", "\xE3\x80\x80\xE3\x80\x81\xE3\x80\x82x",
                        "\xE2\x80\x98\xE2\x80\x9F\xE2\x80\xA0", "\xF0\x90\x90\x80\xF0\x90\x91\x8F\xF0\x90\x91\x90"}) {
    corpus.emplace_back(s);
  }
  return corpus;
}

}  // namespace

TEST_CASE("V2 pre-tokenizer: hand-derived splits", "[pretokenizer][v2]") {
  const PreTokenizer p = PreTokenizer::from_json(v2_pre_tokenizer_json());
  REQUIRE(p.step_count() == 6);
  std::ifstream in(data_path("pretokenizer_v2_cases.jsonl"));
  REQUIRE(in);
  int cases = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const Json c = Json::parse(line);
    std::vector<std::string> expected;
    for (const auto& piece : c.at("pieces").as_array()) expected.push_back(piece.as_string());
    INFO(c.at("why").as_string());
    CHECK(split(p, c.at("text").as_string()) == expected);
    ++cases;
  }
  CHECK(cases >= 25);
}

TEST_CASE("V2 and Coder pre-tokenizers match the JavaScript regex engine", "[pretokenizer][v2][js]") {
  const std::vector<std::string> corpus = corpus_for_js();
  const PreTokenizer v2 = PreTokenizer::from_json(v2_pre_tokenizer_json());
  const size_t v2_mismatches = compare_with_js(v2, data_path("deepseek_v2_pre_tokenizer.json"), corpus);

  const Json coder_json = coder_pre_tokenizer_json();
  const std::string coder_file = (std::filesystem::temp_directory_path() /
                                  ("warden_coder_pre_tokenizer_" + std::to_string(::getpid()) + ".json"))
                                     .string();
  {
    std::ofstream f(coder_file);
    f << coder_json.dump();
  }
  const PreTokenizer coder = PreTokenizer::from_json(coder_json);
  const size_t coder_mismatches = compare_with_js(coder, coder_file, corpus);
  std::filesystem::remove(coder_file);
  std::printf("[pretokenizer] %zu lines vs JS: V2 %zu mismatches, Coder %zu mismatches\n", corpus.size(),
              v2_mismatches, coder_mismatches);
  CHECK(v2_mismatches == 0);
  CHECK(coder_mismatches == 0);
}

TEST_CASE("V2 pre-tokenizer with Digits(individual_digits) cuts every number apart", "[pretokenizer][v2]") {
  // Some copies of the DeepSeek LLM tokenizer.json end in Digits instead of Split \p{N}+.
  Json with_digits = v2_pre_tokenizer_json();
  Json steps = Json::array();
  for (const auto& step : with_digits.at("pretokenizers").as_array()) {
    const Json* pattern = step.find("pattern");
    if (pattern && pattern->at("Regex").as_string() == "\\p{N}+") {
      Json digits = Json::object();
      digits.set("type", "Digits");
      digits.set("individual_digits", true);
      steps.push_back(digits);
    } else {
      steps.push_back(step);
    }
  }
  with_digits.set("pretokenizers", steps);
  const PreTokenizer digits = PreTokenizer::from_json(with_digits);
  const PreTokenizer runs = PreTokenizer::from_json(v2_pre_tokenizer_json());
  CHECK(split(digits, "$100") == std::vector<std::string>{"$", "1", "0", "0"});
  CHECK(split(digits, "x\xD9\xA3\xD9\xA4 7") ==  // Arabic-Indic digits are numbers too
        std::vector<std::string>{"x", "\xD9\xA3", "\xD9\xA4", " ", "7"});
  // Property over the corpus: the Digits pieces are the \p{N}+ pieces with every number
  // run cut into its characters.
  size_t checked = 0;
  for (const std::string& line : testing::make_tokenizer_corpus(77, 1500)) {
    std::vector<std::string> expected;
    for (const std::string& piece : split(runs, line)) {
      size_t len = 0;
      const bool number = !piece.empty() && (unicode_class(decode_utf8_at(piece, 0, len)) & kNumber);
      if (!number) {
        expected.push_back(piece);
        continue;
      }
      for (size_t pos = 0; pos < piece.size(); pos += len) {
        decode_utf8_at(piece, pos, len);
        expected.push_back(piece.substr(pos, len));
      }
    }
    REQUIRE(split(digits, line) == expected);
    ++checked;
  }
  CHECK(checked == 1500);
}

TEST_CASE("simple split patterns: `$` and the shapes refused", "[pretokenizer][v2]") {
  // Oniguruma's (Ruby) `$` also matches just before a "\n": the longest whitespace run
  // that ends there wins. (In the V2 list pieces never hold a "\n" when `$` runs.)
  const SimpleSplitPattern trailing = SimpleSplitPattern::parse("\\s+$");
  size_t next = 0;
  CHECK(trailing.match_at("a  \nb", 1, &next) == 2);
  CHECK(trailing.match_at("a  \nb", 3, &next) == 0);
  CHECK(trailing.match_at("a   ", 1, &next) == 3);
  CHECK(trailing.match_at("a  b", 1, &next) == 0);
  CHECK(next == 3);  // the rest of the run cannot match either
  const SimpleSplitPattern bounded = SimpleSplitPattern::parse("[a-c]{2,3}");
  CHECK(bounded.match_at("abcab", 0, &next) == 3);
  CHECK(bounded.match_at("a-b", 0, &next) == 0);
  const SimpleSplitPattern prefixed = SimpleSplitPattern::parse(" ?\\x{3042}+");
  CHECK(prefixed.match_at(" \xE3\x81\x82\xE3\x81\x82!", 0, &next) == 7);

  for (const auto& [regex, why] : std::vector<std::pair<std::string, std::string>>{
           {"(a|b)+", "not supported"},
           {"a|b", "not supported"},
           {"[^a]+", "negated"},
           {"\\w+", "\\w"},
           {"\\S+", "\\S"},
           {"a*", "empty string"},
           {"[z-a]+", "empty range"},
           {"\\s+?", "lazy"},
           {"\\s+(?!\\S)", "not supported"},
           {"a$b", "'$'"},
           {"[a-z", "unterminated"},
           {"\\p{Lu}+", "\\p{L}"},
           {"\\s?\\s?a", "parts"}}) {
    INFO(regex);
    CHECK_THROWS_WITH(SimpleSplitPattern::parse(regex), Catch::Contains(why));
  }
  // Through tokenizer.json, the error names the step and the regex.
  Json bad = v2_pre_tokenizer_json();
  Json steps = bad.at("pretokenizers");
  Json step = steps[1];
  Json pattern = Json::object();
  pattern.set("Regex", "[\\p{L}&&[^a]]+");
  step.set("pattern", pattern);
  Json edited = Json::array();
  for (size_t i = 0; i < steps.size(); ++i) edited.push_back(i == 1 ? step : steps[i]);
  bad.set("pretokenizers", edited);
  CHECK_THROWS_WITH(PreTokenizer::from_json(bad), Catch::Contains("pretokenizers[1]") &&
                                                      Catch::Contains("unsupported Split regex") &&
                                                      Catch::Contains("intersection"));
}

TEST_CASE("a tokenizer with the V2 pre-tokenizer loads, round-trips and splits digits as V2", "[tokenizer][v2]") {
  // The V3 vocabulary with V2's pre-tokenizer: the real V2 files are not available offline.
  const auto dir = testing::deepseek_v3_model_dir();
  Json tokenizer_json = read_json_file((dir / "tokenizer.json").string());
  const Json config = read_json_file((dir / "tokenizer_config.json").string());
  tokenizer_json.set("pre_tokenizer", v2_pre_tokenizer_json());
  const auto v2 = Tokenizer::from_json(tokenizer_json, &config);
  const Tokenizer& v3 = testing::deepseek_v3_tokenizer();
  for (const std::string& line : testing::make_tokenizer_corpus(5, 300)) REQUIRE(v2->decode(v2->encode(line)) == line);
  // V3 cuts digits in threes, V2 keeps the run: different pieces, different ids.
  CHECK(v2->encode("1234567") != v3.encode("1234567"));
  CHECK(v2->encode("Hello world") == v3.encode("Hello world"));
}
