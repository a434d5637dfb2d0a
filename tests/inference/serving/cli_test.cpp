// `warden tokenize`: JSON lines in, ids out; usage and input errors.
#include <catch2/catch.hpp>

#include <sstream>

#include "core/json.h"
#include "inference/cli.h"
#include "serving_test_util.h"

using namespace warden::inference;

TEST_CASE("tokenize command writes ids per line", "[cli]") {
  const std::string dir = testing::deepseek_v3_model_dir().string();
  std::istringstream in("{\"text\":\"Hello, world!\"}\n\n{\"text\":\"<｜User｜>\"}\n");
  std::ostringstream out, err;
  REQUIRE(run_tokenize_command({"--model", dir}, in, out, err) == 0);
  std::istringstream lines(out.str());
  std::string line;
  std::vector<std::vector<TokenId>> got;
  while (std::getline(lines, line)) got.push_back(testing::parse_id_lines({line})[0]);
  REQUIRE(got.size() == 2);
  const Tokenizer& t = testing::deepseek_v3_tokenizer();
  CHECK(got[0] == t.encode("Hello, world!"));
  CHECK(got[0] == std::vector<TokenId>{19923, 14, 2058, 3});  // from @lenml/tokenizers
  CHECK(got[1] == t.encode("<｜User｜>"));
  CHECK(got[1].size() > 1);
}

TEST_CASE("tokenize command reports usage and input errors", "[cli]") {
  std::istringstream in("{\"txt\":1}\n");
  std::ostringstream out, err;
  CHECK(run_tokenize_command({}, in, out, err) == 2);
  CHECK(err.str().find("--model") != std::string::npos);
  err.str("");
  CHECK(run_tokenize_command({"--model", "/no/such/dir"}, in, out, err) == 1);
  CHECK(err.str().find("tokenizer.json") != std::string::npos);
  err.str("");
  CHECK(run_tokenize_command({"--model", testing::deepseek_v3_model_dir().string()}, in, out, err) == 1);
  CHECK(err.str().find("stdin line 1") != std::string::npos);
  CHECK(run_tokenize_command({"--bogus"}, in, out, err) == 2);
}
