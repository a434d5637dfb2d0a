#include "audit/cli.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "audit/reader.h"
#include "audit/record.h"
#include "audit/store.h"

namespace warden::audit {
namespace {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --name value options (repeatable ones collect every value) plus positional arguments.
struct Args {
  std::map<std::string, std::vector<std::string>> options;
  std::set<std::string> flags;
  std::vector<std::string> positional;

  std::optional<std::string> get(const std::string& name) const {
    auto it = options.find(name);
    if (it == options.end()) return std::nullopt;
    return it->second.back();
  }
  std::string need(const std::string& name) const {
    auto v = get(name);
    if (!v) throw UsageError("missing required option --" + name);
    return *v;
  }
};

Args parse_args(const std::vector<std::string>& args, const std::set<std::string>& valued,
                const std::set<std::string>& flags) {
  Args out;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    if (flags.count(name)) {
      out.flags.insert(name);
    } else if (valued.count(name)) {
      if (i + 1 >= args.size()) throw UsageError("option --" + name + " needs a value");
      out.options[name].push_back(args[++i]);
    } else {
      throw UsageError("unknown option --" + name + " for 'audit " + args[0] + "'");
    }
  }
  return out;
}

std::optional<std::string> passphrase_from(const Args& a) {
  auto var = a.get("passphrase-env");
  if (!var) return std::nullopt;
  const char* value = std::getenv(var->c_str());
  if (!value) throw UsageError("environment variable " + *var + " (from --passphrase-env) is not set");
  return std::string(value);
}

int64_t parse_int(const std::string& text, const std::string& option) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw UsageError("option --" + option + ": \"" + text + "\" is not an integer");
}

const std::set<std::string> kFilterOptions = {"from", "to", "api-key", "team", "decision", "entity", "kind",
                                              "policy", "policy-version", "limit", "text", "chain", "after"};

std::optional<std::string> chain_option(const Args& a) {
  auto chain = a.get("chain");
  if (chain) {
    if (std::string why = chain_id_problem(*chain); !why.empty()) throw UsageError("--chain: " + why);
  }
  return chain;
}

SearchQuery query_from(const Args& a) {
  SearchQuery q;
  try {
    if (auto v = a.get("from")) q.from_us = parse_time(*v);
    if (auto v = a.get("to")) q.to_us = parse_time(*v);
  } catch (const std::runtime_error& e) {
    throw UsageError(std::string("--from/--to: ") + e.what());
  }
  q.key_id = a.get("api-key");
  q.team = a.get("team");
  q.decision = a.get("decision");
  q.entity_type = a.get("entity");
  q.kind = a.get("kind");
  q.policy_name = a.get("policy");
  if (auto v = a.get("policy-version")) q.policy_version = parse_int(*v, "policy-version");
  if (auto v = a.get("limit")) q.limit = static_cast<size_t>(parse_int(*v, "limit"));
  q.text = a.get("text");
  q.chain = chain_option(a);
  if (auto v = a.get("after")) {
    try {
      q.after = parse_record_cursor(*v);
    } catch (const std::runtime_error& e) {
      throw UsageError(std::string("--after: ") + e.what());
    }
  }
  return q;
}

std::set<std::string> with(std::set<std::string> base, std::initializer_list<std::string> more) {
  base.insert(more);
  return base;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_value(const core::Json& v) { return v.is_string() ? v.as_string() : v.dump(); }

int cmd_keygen(const std::vector<std::string>& args, std::ostream& out, bool signing) {
  Args a = parse_args(args, {"out", "passphrase-env"}, {});
  std::string prefix = a.need("out");
  auto pass = passphrase_from(a);
  if (signing) {
    auto key = generate_signing_key();
    write_signing_key_files(*key, prefix, pass);
    out << "signing key " << key->public_key().key_id << ": " << prefix << ".pub (give to verifiers), " << prefix
        << ".key (gateway secret)\n";
  } else {
    auto key = generate_reviewer_key();
    write_reviewer_key_files(*key, prefix, pass);
    out << "reviewer key " << key->public_key().key_id << ": " << prefix << ".pub (configure on the gateway), "
        << prefix << ".key (keep offline)\n";
  }
  return 0;
}

std::unique_ptr<ReviewerSecretKey> optional_key(const Args& a) {
  auto file = a.get("key");
  if (!file) return nullptr;
  return load_reviewer_secret_key(*file, passphrase_from(a));
}

int cmd_search(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, with(kFilterOptions, {"db", "key", "passphrase-env"}), {});
  AuditReader reader(a.need("db"));
  auto key = optional_key(a);
  core::Json result = reader.search(query_from(a), key.get());
  for (const auto& r : result.at("records").as_array()) out << r.dump() << "\n";
  if (!result.at("next_after").is_null()) {
    out << "{\"more\":true,\"next_after\":" << result.at("next_after").dump() << "}\n";
  }
  return 0;
}

int cmd_show(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a = parse_args(args, {"db", "key", "passphrase-env"}, {});
  if (a.positional.size() != 1) throw UsageError("usage: audit show RECORD_ID --key FILE --db CONNINFO");
  auto key = load_reviewer_secret_key(a.need("key"), passphrase_from(a));
  AuditReader reader(a.need("db"));
  core::Json rec = reader.get(a.positional[0], key.get());
  if (rec.is_null()) {
    err << "audit show: no record with id " << a.positional[0] << "\n";
    return 1;
  }
  out << rec.dump(2) << "\n";
  return rec.contains("payload_error") ? 1 : 0;
}

int cmd_verify(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, {"db", "signing-pub", "checkpoints", "chain"}, {"strict", "json"});
  VerifyOptions options;
  auto pubs = a.options.find("signing-pub");
  if (pubs == a.options.end()) throw UsageError("verify needs at least one --signing-pub FILE (trusted checkpoint keys)");
  for (const auto& f : pubs->second) options.trusted_signing_keys.push_back(load_signing_public_key(f));
  if (auto f = a.get("checkpoints")) options.external_checkpoints = read_checkpoint_file(*f);
  options.strict = a.flags.count("strict") > 0;
  options.chain = chain_option(a);
  AuditStore store(a.need("db"));
  VerifyReport report = verify_chain(store, options);
  if (a.flags.count("json")) {
    out << report.to_json().dump(2) << "\n";
  } else {
    out << (report.ok ? "PASS" : "FAIL") << ": " << report.chains.size() << " chain(s), " << report.records_checked
        << " records, " << report.checkpoints_checked << " checkpoints\n";
    if (!report.ok) {
      const VerifyProblem& first = report.problems.front();
      out << "first problem: chain " << first.chain << ", seq " << first.seq << ": " << first.what << "\n";
    }
    for (const auto& c : report.chains) {
      out << "chain " << c.chain << ": " << (c.ok ? "pass" : "FAIL") << ", " << c.records_checked << " records (seq "
          << c.first_seq << ".." << c.last_seq << "), " << c.checkpoints_checked << " checkpoints, attested through seq "
          << c.attested_seq << "\n";
      for (const auto& p : c.problems) out << "  problem: " << p.what << "\n";
      for (const auto& w : c.warnings) out << "  warning: " << w << "\n";
    }
  }
  return report.ok ? 0 : 1;
}

int cmd_export(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, with(kFilterOptions, {"db", "key", "passphrase-env", "format", "out"}), {});
  std::string format = a.need("format");
  if (format != "jsonl" && format != "csv") throw UsageError("--format must be jsonl or csv, got \"" + format + "\"");
  AuditReader reader(a.need("db"));
  auto key = optional_key(a);
  std::ofstream file;
  std::ostream* sink = &out;
  if (auto path = a.get("out")) {
    file.open(*path, std::ios::trunc);
    if (!file) throw std::runtime_error("cannot write " + *path);
    sink = &file;
  }
  SearchQuery q = query_from(a);
  if (!a.get("limit")) q.limit = 1000;
  const std::vector<std::string> columns = {"chain", "seq", "record_id", "time", "kind", "action", "key_id", "team", "role",
                                            "route", "model", "policy_name", "policy_version", "decision",
                                            "entity_counts", "rules_fired", "prompt_tokens", "completion_tokens",
                                            "latency_ms", "http_status", "client_addr", "hash"};
  if (format == "csv") {
    for (size_t i = 0; i < columns.size(); ++i) *sink << (i ? "," : "") << columns[i];
    *sink << (key ? ",payload" : "") << "\n";
  }
  uint64_t count = 0;
  for (;;) {
    core::Json page = reader.search(q, key.get());
    for (const auto& r : page.at("records").as_array()) {
      ++count;
      if (format == "jsonl") {
        *sink << r.dump() << "\n";
        continue;
      }
      for (size_t i = 0; i < columns.size(); ++i) *sink << (i ? "," : "") << csv_field(csv_value(r.at(columns[i])));
      if (key) {
        const core::Json* p = r.find("payload");
        *sink << "," << csv_field(p ? p->dump() : "");
      }
      *sink << "\n";
    }
    if (page.at("next_after").is_null()) break;
    q.after = parse_record_cursor(page.at("next_after").as_string());
  }
  if (a.get("out")) out << "exported " << count << " records to " << *a.get("out") << "\n";
  return 0;
}

int cmd_export_checkpoints(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, {"db", "out", "chain"}, {});
  auto chain = chain_option(a);
  AuditStore store(a.need("db"));
  std::string path = a.need("out");
  std::ofstream file(path, std::ios::trunc);
  if (!file) throw std::runtime_error("cannot write " + path);
  size_t n = 0;
  for (const auto& cp : store.checkpoints(chain)) {
    file << checkpoint_to_json(cp).dump() << "\n";
    ++n;
  }
  out << "exported " << n << " checkpoints to " << path << "\n";
  return 0;
}

int cmd_prune(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, {"db", "before", "signing-key", "passphrase-env"}, {});
  int64_t before_us;
  try {
    before_us = parse_time(a.need("before"));
  } catch (const UsageError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw UsageError(std::string("--before: ") + e.what());
  }
  auto key = load_signing_key(a.need("signing-key"), passphrase_from(a));
  AuditStore store(a.need("db"));
  uint64_t n = store.prune_before(before_us, *key);
  out << "pruned " << n << " records before " << format_time_us(before_us) << "\n";
  return 0;
}

constexpr const char* kUsage =
    "usage: warden audit <keygen|signing-keygen|search|show|verify|export|export-checkpoints|prune> [options]\n";

}  // namespace

int run_audit_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  (void)in;
  if (args.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& cmd = args[0];
  try {
    if (cmd == "keygen") return cmd_keygen(args, out, false);
    if (cmd == "signing-keygen") return cmd_keygen(args, out, true);
    if (cmd == "search") return cmd_search(args, out);
    if (cmd == "show") return cmd_show(args, out, err);
    if (cmd == "verify") return cmd_verify(args, out);
    if (cmd == "export") return cmd_export(args, out);
    if (cmd == "export-checkpoints") return cmd_export_checkpoints(args, out);
    if (cmd == "prune") return cmd_prune(args, out);
    err << "audit: unknown subcommand \"" << cmd << "\"\n" << kUsage;
    return 2;
  } catch (const UsageError& e) {
    err << "audit " << cmd << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "audit " << cmd << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace warden::audit
