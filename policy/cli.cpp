#include "policy/cli.h"

#include <cmath>
#include <istream>
#include <ostream>

#include "core/json.h"
#include "core/yaml.h"
#include "policy/errors.h"
#include "policy/redactor.h"

namespace warden::policy {
namespace {

constexpr const char* kUsage =
    "usage: warden redact --policy FILE\n"
    "  Reads JSON lines {\"text\": \"...\"} from stdin and writes one line per input:\n"
    "  {\"text\": \"<redacted>\", \"spans\": [{\"start\": S, \"end\": E, \"type\": T, \"score\": X, \"action\": A}]}\n"
    "  FILE is a policy document (JSON, or YAML unless it ends in .json) with a `redaction` section.\n";

std::string dirname_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

int run_redact_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                       std::ostream& err) {
  std::string policy_path;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    }
    if (a == "--policy" && i + 1 < args.size()) {
      policy_path = args[++i];
    } else if (a.rfind("--policy=", 0) == 0) {
      policy_path = a.substr(9);
    } else {
      err << "warden redact: unexpected argument \"" << a << "\"\n" << kUsage;
      return 2;
    }
  }
  if (policy_path.empty()) {
    err << "warden redact: --policy FILE is required\n" << kUsage;
    return 2;
  }
  std::shared_ptr<const Redactor> redactor;
  try {
    core::Json doc = core::load_document_file(policy_path);
    redactor = Redactor::compile(RedactionConfig::from_policy_document(doc, dirname_of(policy_path)));
  } catch (const PolicyError& e) {
    err << "warden redact: policy " << policy_path << ":\n";
    for (const auto& p : e.problems()) err << "  " << p << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "warden redact: policy " << policy_path << ": " << e.what() << "\n";
    return 1;
  }
  RedactionSession session(redactor);
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    try {
      core::Json record = core::Json::parse(line);
      const core::Json* text = record.is_object() ? record.find("text") : nullptr;
      if (!text || !text->is_string()) {
        err << "warden redact: line " << line_no << ": expected an object with a string field \"text\"\n";
        return 1;
      }
      RedactionResult r = session.redact(text->as_string());
      core::Json result = core::Json::object();
      result.set("text", r.text);
      core::Json spans = core::Json::array();
      for (const auto& s : r.spans) {
        core::Json span = core::Json::object();
        span.set("start", static_cast<long long>(s.start));
        span.set("end", static_cast<long long>(s.end));
        span.set("type", s.type);
        span.set("score", std::round(s.score * 100.0) / 100.0);
        span.set("action", std::string(action_name(s.action)));
        spans.push_back(std::move(span));
      }
      result.set("spans", std::move(spans));
      if (r.blocked()) {
        core::Json blocked = core::Json::array();
        for (const auto& t : r.blocked_types) blocked.push_back(t);
        result.set("blocked", std::move(blocked));
      }
      out << result.dump() << "\n";
    } catch (const core::JsonError& e) {
      err << "warden redact: line " << line_no << ": invalid JSON: " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      err << "warden redact: line " << line_no << ": cannot scan: " << e.what() << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace warden::policy
