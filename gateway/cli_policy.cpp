#include "gateway/cli_policy.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "core/pg_pool.h"
#include "gateway/database.h"
#include "policy/policy.h"
#include "policy/policy_store.h"

namespace warden::gateway {
namespace {

using core::Json;
namespace fs = std::filesystem;

const char* kUsage =
    "usage: warden policy apply FILE [--name NAME] [--comment TEXT] [--activate]\n"
    "       warden policy list\n"
    "       warden policy show NAME [--version N] [--source]\n"
    "       warden policy history NAME\n"
    "       warden policy activate NAME VERSION\n"
    "       warden policy rollback NAME [--to VERSION]\n"
    "       warden policy diff NAME FROM TO\n"
    "       warden policy test (--policy FILE | --name NAME [--version N]) --sample FILE\n"
    "FILE and the sample file may be - for standard input. A sample file holds one JSON object\n"
    "({\"messages\": [...], \"answer\"?: ...}) or JSON lines of them.\n";

// A usage problem: the message goes to stderr with the usage text, exit code 1.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> switches;
  std::string value(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? "" : it->second;
  }
};

Args parse_args(const std::vector<std::string>& args, const std::set<std::string>& value_flags,
                const std::set<std::string>& switch_flags) {
  Args parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 3 || a.rfind("--", 0) != 0) {
      parsed.positional.push_back(a);
      continue;
    }
    const std::string name = a.substr(2);
    if (switch_flags.count(name)) {
      parsed.switches.insert(name);
    } else if (value_flags.count(name)) {
      if (i + 1 >= args.size()) throw UsageError("option --" + name + " needs a value");
      parsed.values[name] = args[++i];
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
  return parsed;
}

void expect_positional(const Args& a, size_t min, size_t max, const char* what) {
  if (a.positional.size() < min || a.positional.size() > max) throw UsageError(std::string("expected ") + what);
}

int64_t parse_version(const std::string& text, const char* what) {
  int64_t value = 0;
  bool ok = !text.empty() && text.size() <= 15;
  for (char c : text) {
    if (c < '0' || c > '9') ok = false;
    else value = value * 10 + (c - '0');
  }
  if (!ok || value < 1) throw UsageError(std::string(what) + " must be a positive integer, got \"" + text + "\"");
  return value;
}

std::string read_input(const std::string& path, std::istream& in) {
  std::stringstream s;
  if (path == "-") {
    s << in.rdbuf();
    return s.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw UsageError("cannot read " + path);
  s << file.rdbuf();
  return s.str();
}

// One JSON object (possibly pretty-printed over many lines), a JSON list of them, or JSON
// lines of them.
std::vector<Json> read_samples(const std::string& text) {
  try {
    Json whole = Json::parse(text);
    if (whole.is_array()) return whole.as_array();
    return {whole};
  } catch (const core::JsonError&) {
  }
  std::vector<Json> samples;
  std::vector<std::string> problems;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      samples.push_back(Json::parse(line));
    } catch (const core::JsonError& e) {
      problems.push_back("sample file line " + std::to_string(number) + ": " + e.what());
    }
  }
  if (!problems.empty()) throw policy::PolicyError(problems);
  if (samples.empty()) throw policy::PolicyError({"sample file: no sample in it"});
  return samples;
}

std::string cli_actor() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return std::string("cli:") + pw->pw_name;
  return "cli:uid-" + std::to_string(::geteuid());
}

void print_problems(std::ostream& err, const std::string& verb, const char* what, const std::vector<std::string>& problems) {
  err << "warden policy " << verb << ": " << what << " (" << problems.size()
      << (problems.size() == 1 ? " problem):\n" : " problems):\n");
  for (const auto& p : problems) err << "  - " << p << "\n";
}

// The database the gateway uses, opened on demand (not for `test --policy FILE`).
struct StoreHandle {
  std::unique_ptr<Database> database;
  std::unique_ptr<core::PgPool> pool;
  std::unique_ptr<policy::PolicyStore> store;
  explicit StoreHandle(const core::Config& config) {
    database = Database::open(config, true);
    pool = std::make_unique<core::PgPool>(database->conninfo(), 1);
    store = std::make_unique<policy::PolicyStore>(*pool);
  }
};

void print_list(const std::vector<policy::PolicySummary>& list, std::ostream& out) {
  if (list.empty()) {
    out << "no policies stored\n";
    return;
  }
  out << std::left << std::setw(24) << "NAME" << std::setw(8) << "ACTIVE" << std::setw(8) << "LATEST" << std::setw(26)
      << "ACTIVATED" << "DESCRIPTION\n";
  for (const auto& s : list) {
    out << std::left << std::setw(24) << s.name << std::setw(8)
        << (s.active_version ? std::to_string(*s.active_version) : "-") << std::setw(8) << s.latest_version
        << std::setw(26) << (s.activated_at.empty() ? "-" : s.activated_at) << s.description << "\n";
  }
}

int apply(const core::Config& config, const Args& a, std::istream& in, std::ostream& out) {
  expect_positional(a, 1, 1, "one FILE");
  const std::string& path = a.positional[0];
  std::string name = a.value("name");
  if (name.empty()) {
    if (path == "-") throw UsageError("--name is required when the policy comes from standard input");
    name = fs::path(path).stem().string();
  }
  const std::string source = read_input(path, in);
  StoreHandle h(config);
  const std::string actor = cli_actor();
  auto saved = h.store->save(name, source, actor, a.value("comment"));
  if (saved.created) {
    out << "policy " << name << ": saved version " << saved.version.version << " (sha256 " << saved.version.content_hash
        << ")\n";
  } else {
    out << "policy " << name << ": unchanged (identical to version " << saved.version.version << ")\n";
  }
  if (a.switches.count("activate")) {
    auto activation = h.store->activate(name, saved.version.version, actor);
    out << "policy " << name << ": version " << activation.version
        << (activation.changed ? " activated" : " was already active") << "\n";
  }
  return 0;
}

int test(const core::Config& config, const Args& a, std::istream& in, std::ostream& out) {
  expect_positional(a, 0, 0, "no positional arguments");
  const std::string policy_file = a.value("policy");
  const std::string name = a.value("name");
  const std::string sample_file = a.value("sample");
  if (policy_file.empty() == name.empty()) throw UsageError("give either --policy FILE or --name NAME");
  if (sample_file.empty()) throw UsageError("--sample FILE is required");
  if (!policy_file.empty() && a.values.count("version")) throw UsageError("--version goes with --name, not --policy");
  if (policy_file == "-" && sample_file == "-") throw UsageError("only one of the policy and the samples can come from standard input");

  std::shared_ptr<const policy::CompiledPolicy> compiled;
  if (!policy_file.empty()) {
    // Offline: the file as a draft (version 0); dictionary files resolve beside it.
    Json document = policy::parse_policy_source(read_input(policy_file, in));
    std::string base_dir = policy_file == "-" ? "" : fs::path(policy_file).parent_path().string();
    std::string draft_name = policy_file == "-" ? "stdin" : fs::path(policy_file).stem().string();
    compiled = policy::CompiledPolicy::compile(policy::canonical_policy_document(document), {draft_name, 0}, base_dir);
  } else {
    StoreHandle h(config);
    std::optional<int64_t> version;
    if (a.values.count("version")) version = parse_version(a.value("version"), "--version");
    if (!version) version = h.store->active_version(name);
    if (!version) throw UsageError("policy " + name + " has no active version; give --version");
    auto stored = h.store->get(name, version);
    compiled = h.store->compile(stored.document, {name, *version});
  }
  auto samples = read_samples(read_input(sample_file, in));
  std::vector<Json> results;
  std::vector<std::string> problems;
  for (size_t i = 0; i < samples.size(); ++i) {
    try {
      results.push_back(policy::dry_run(*compiled, samples[i]));
    } catch (const policy::PolicyError& e) {
      for (const auto& p : e.problems()) problems.push_back(samples.size() == 1 ? p : "sample " + std::to_string(i + 1) + ": " + p);
    }
  }
  if (!problems.empty()) throw policy::PolicyError(problems);
  if (results.size() == 1) {
    out << results[0].dump(2) << "\n";
  } else {
    for (const auto& r : results) out << r.dump() << "\n";
  }
  return 0;
}

int run(const core::Config& config, const std::string& verb, const std::vector<std::string>& rest, std::istream& in,
        std::ostream& out) {
  if (verb == "apply") return apply(config, parse_args(rest, {"name", "comment"}, {"activate"}), in, out);
  if (verb == "test") return test(config, parse_args(rest, {"policy", "name", "version", "sample"}, {}), in, out);
  if (verb == "list") {
    expect_positional(parse_args(rest, {}, {}), 0, 0, "no arguments");
    StoreHandle h(config);
    print_list(h.store->list(), out);
    return 0;
  }
  if (verb == "show") {
    Args a = parse_args(rest, {"version"}, {"source"});
    expect_positional(a, 1, 1, "NAME");
    std::optional<int64_t> version;
    if (a.values.count("version")) version = parse_version(a.value("version"), "--version");
    StoreHandle h(config);
    auto v = h.store->get(a.positional[0], version);
    if (a.switches.count("source")) {
      out << v.source;
      if (!v.source.empty() && v.source.back() != '\n') out << "\n";
    } else {
      out << v.to_json().dump(2) << "\n";
    }
    return 0;
  }
  if (verb == "history") {
    Args a = parse_args(rest, {}, {});
    expect_positional(a, 1, 1, "NAME");
    StoreHandle h(config);
    Json versions = Json::array();
    for (const auto& v : h.store->versions(a.positional[0])) versions.push_back(v.to_json());
    Json activations = Json::array();
    for (const auto& act : h.store->history(a.positional[0])) {
      Json item = act.to_json();
      item.as_object().pop_back();  // "changed" describes a call, not a history row
      activations.push_back(std::move(item));
    }
    Json all = Json::object();
    all["versions"] = std::move(versions);
    all["activations"] = std::move(activations);
    out << all.dump(2) << "\n";
    return 0;
  }
  if (verb == "activate") {
    Args a = parse_args(rest, {}, {});
    expect_positional(a, 2, 2, "NAME VERSION");
    int64_t version = parse_version(a.positional[1], "VERSION");
    StoreHandle h(config);
    auto act = h.store->activate(a.positional[0], version, cli_actor());
    out << "policy " << act.name << ": version " << act.version << (act.changed ? " activated" : " was already active");
    if (act.changed && act.previous_version) out << " (was " << *act.previous_version << ")";
    out << "\n";
    return 0;
  }
  if (verb == "rollback") {
    Args a = parse_args(rest, {"to"}, {});
    expect_positional(a, 1, 1, "NAME");
    std::optional<int64_t> to;
    if (a.values.count("to")) to = parse_version(a.value("to"), "--to");
    StoreHandle h(config);
    auto act = h.store->rollback(a.positional[0], cli_actor(), to);
    out << "policy " << act.name << ": rolled back to version " << act.version;
    if (act.previous_version) out << " (was " << *act.previous_version << ")";
    out << "\n";
    return 0;
  }
  if (verb == "diff") {
    Args a = parse_args(rest, {}, {});
    expect_positional(a, 3, 3, "NAME FROM TO");
    int64_t from = parse_version(a.positional[1], "FROM");
    int64_t to = parse_version(a.positional[2], "TO");
    StoreHandle h(config);
    out << h.store->diff(a.positional[0], from, to);
    return 0;
  }
  throw UsageError("unknown command \"" + verb + "\"");
}

}  // namespace

int run_policy_command(const core::Config& config, const std::vector<std::string>& args, std::istream& in,
                       std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "help" || args[0] == "--help") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? 1 : 0;
  }
  const std::string& verb = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    return run(config, verb, rest, in, out);
  } catch (const UsageError& e) {
    err << "warden policy " << verb << ": " << e.what() << "\n" << kUsage;
  } catch (const policy::PolicyError& e) {
    print_problems(err, verb, verb == "test" ? "invalid policy or sample" : "invalid policy", e.problems());
  } catch (const policy::PolicyStoreError& e) {
    err << "warden policy " << verb << ": " << e.what() << "\n";
  } catch (const std::exception& e) {
    err << "warden policy " << verb << ": " << e.what() << "\n";
  }
  return 1;
}

}  // namespace warden::gateway
