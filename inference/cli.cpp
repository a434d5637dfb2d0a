#include "inference/cli.h"

#include <istream>
#include <ostream>

#include "core/json.h"
#include "inference/tokenizer.h"

namespace warden::inference {
namespace {

constexpr const char* kTokenizeUsage =
    "usage: warden tokenize --model DIR\n"
    "  reads JSON lines {\"text\": \"...\"} on stdin, writes {\"ids\": [...]} per line\n"
    "  DIR holds tokenizer.json (and tokenizer_config.json)\n";

}  // namespace

int run_tokenize_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                         std::ostream& err) {
  std::string model_dir;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      out << kTokenizeUsage;
      return 0;
    }
    if (args[i] == "--model" && i + 1 < args.size()) {
      model_dir = args[++i];
    } else if (args[i].rfind("--model=", 0) == 0) {
      model_dir = args[i].substr(8);
    } else {
      err << "warden tokenize: unexpected argument \"" << args[i] << "\"\n" << kTokenizeUsage;
      return 2;
    }
  }
  if (model_dir.empty()) {
    err << "warden tokenize: --model DIR is required\n" << kTokenizeUsage;
    return 2;
  }
  std::shared_ptr<const Tokenizer> tokenizer;
  try {
    tokenizer = Tokenizer::load(model_dir);
  } catch (const std::exception& e) {
    err << "warden tokenize: " << e.what() << "\n";
    return 1;
  }
  std::string line;
  std::string result;
  for (size_t line_number = 1; std::getline(in, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    try {
      core::Json request = core::Json::parse(line);
      const core::Json* text = request.find("text");
      if (!text || !text->is_string()) throw std::invalid_argument("expected an object with a string \"text\"");
      std::vector<TokenId> ids = tokenizer->encode(text->as_string());
      result.assign("{\"ids\":[");
      for (size_t i = 0; i < ids.size(); ++i) {
        if (i) result.push_back(',');
        result.append(std::to_string(ids[i]));
      }
      result.append("]}\n");
      out << result;
    } catch (const std::exception& e) {
      err << "warden tokenize: stdin line " << line_number << ": " << e.what() << "\n";
      return 1;
    }
  }
  out.flush();
  return 0;
}

}  // namespace warden::inference
