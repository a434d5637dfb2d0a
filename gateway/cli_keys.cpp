#include "gateway/cli_keys.h"

#include <charconv>
#include <ostream>

#include "core/pg_pool.h"
#include "core/secret_file.h"
#include "gateway/database.h"
#include "gateway/key_store.h"

namespace warden::gateway {

bool parse_flags(const std::vector<std::string>& args, const std::vector<std::string>& known,
                 std::map<std::string, std::string>& flags, std::vector<std::string>& positional, std::ostream& err) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    bool ok = false;
    for (const auto& k : known) ok |= k == name;
    if (!ok) {
      err << "unknown option --" << name << "\n";
      return false;
    }
    if (i + 1 >= args.size()) {
      err << "option --" << name << " needs a value\n";
      return false;
    }
    flags[name] = args[++i];
  }
  return true;
}

int run_migrate_command(const core::Config& config, std::ostream& out, std::ostream& err) {
  try {
    auto db = Database::open(config, true);
    out << "database schema is up to date\n";
    return 0;
  } catch (const std::exception& e) {
    err << "warden migrate: " << e.what() << "\n";
    return 1;
  }
}

int run_keys_command(const core::Config& config, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const char* usage =
      "usage: warden keys create --name NAME --team TEAM --role user|admin|auditor [--rpm N] [--tpm N]\n"
      "       warden keys list [--all true]\n"
      "       warden keys revoke ID\n";
  if (args.empty()) {
    err << usage;
    return 2;
  }
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (!parse_flags(rest, {"name", "team", "role", "rpm", "tpm", "all"}, flags, positional, err)) {
    err << usage;
    return 2;
  }
  try {
    auto db = Database::open(config, true);
    core::PgPool pool(db->conninfo(), 1);
    KeyStore keys(pool, core::load_or_create_secret(std::filesystem::path(config.state_dir) / "secrets" / "api_key_hashing_key", 32));
    const std::string& verb = args[0];
    if (verb == "create") {
      NewKey key;
      key.name = flags["name"];
      key.team = flags["team"];
      auto role = parse_role(flags.count("role") ? flags["role"] : "user");
      if (key.name.empty() || key.team.empty() || !role) {
        err << "warden keys create: --name and --team are required; --role must be user, admin or auditor\n" << usage;
        return 2;
      }
      key.role = *role;
      for (const char* flag : {"rpm", "tpm"}) {
        if (!flags.count(flag)) continue;
        const std::string& text = flags[flag];
        int64_t value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size()) {
          err << "warden keys create: --" << flag << " must be a whole number, not \"" << text << "\"\n";
          return 2;
        }
        (std::string(flag) == "rpm" ? key.requests_per_minute : key.tokens_per_minute) = value;
      }
      auto created = keys.create(key);
      out << "id:     " << created.id << "\nsecret: " << created.secret
          << "\n(the secret is shown only now; Warden stores only a keyed hash of it)\n";
      return 0;
    }
    if (verb == "list") {
      out << keys.list(flags["all"] == "true").dump(2) << "\n";
      return 0;
    }
    if (verb == "revoke") {
      if (positional.size() != 1) {
        err << usage;
        return 2;
      }
      if (!keys.revoke(positional[0])) {
        err << "warden keys revoke: no active key with id " << positional[0] << "\n";
        return 1;
      }
      out << "revoked " << positional[0] << "\n";
      return 0;
    }
    err << "warden keys: unknown command " << verb << "\n" << usage;
    return 2;
  } catch (const std::exception& e) {
    err << "warden keys: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace warden::gateway
