#include "gateway/commands.h"

#include <ostream>

#include "audit/cli.h"
#include "gateway/cli_policy.h"
#include "gateway/database.h"
#include "inference/cli.h"
#include "inference/model_cli.h"
#include "policy/cli.h"

namespace warden::gateway {

int run_module_command(const std::string& command, const std::vector<std::string>& args, std::istream& in,
                       std::ostream& out, std::ostream& err) {
  if (command == "tokenize") return inference::run_tokenize_command(args, in, out, err);
  if (command == "model") return inference::run_model_command(args, in, out, err);
  if (command == "logits") return inference::run_logits_command(args, in, out, err);
  if (command == "bench") return inference::run_bench_command(args, in, out, err);
  if (command == "generate") return inference::run_generate_command(args, in, out, err);
  if (command == "redact") return policy::run_redact_command(args, in, out, err);
  return -1;
}

int run_configured_command(const std::string& command, const core::Config& config, const std::vector<std::string>& args,
                           std::istream& in, std::ostream& out, std::ostream& err) {
  if (command == "policy") return run_policy_command(config, args, in, out, err);
  if (command != "audit") return -1;
  // Reviewer commands read the gateway's database unless told otherwise with --db.
  bool needs_db = !args.empty() && args[0] != "keygen" && args[0] != "signing-keygen";
  bool has_db = false;
  for (const auto& a : args) has_db |= a == "--db";
  if (!needs_db || has_db) return audit::run_audit_command(args, in, out, err);
  try {
    auto database = Database::open(config, true);
    std::vector<std::string> with_db = args;
    with_db.push_back("--db");
    with_db.push_back(database->conninfo());
    return audit::run_audit_command(with_db, in, out, err);
  } catch (const std::exception& e) {
    err << "warden audit: " << e.what() << "\n";
    return 1;
  }
}

void print_module_commands(std::ostream& out) {
  out << "  tokenize --model DIR        JSON lines {\"text\"} -> {\"ids\"}\n"
         "  logits --model DIR          JSON lines {\"ids\"} -> {\"logits\"}\n"
         "  model synth ...             write a random-weight checkpoint in the Hugging Face layout\n"
         "  bench --model DIR           prefill/decode speed against the memory-bandwidth bound\n"
         "  generate --model DIR        chat reply to --prompt TEXT streamed to stdout, speed on stderr\n"
         "  redact --policy FILE        JSON lines {\"text\"} -> {\"text\", \"spans\"}\n"
         "  audit SUBCOMMAND            keygen, search, show, verify, export, prune\n"
         "  policy SUBCOMMAND           apply, list, show, history, activate, rollback, diff, test\n";
}

}  // namespace warden::gateway
