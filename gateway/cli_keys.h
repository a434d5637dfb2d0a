// `warden keys create|list|revoke` and `warden migrate`.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"

namespace warden::gateway {

int run_keys_command(const core::Config& config, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int run_migrate_command(const core::Config& config, std::ostream& out, std::ostream& err);

// Reads `--flag value` pairs; returns false and prints to err on an unknown flag or a
// missing value. Positional arguments go to `positional`.
bool parse_flags(const std::vector<std::string>& args, const std::vector<std::string>& known,
                 std::map<std::string, std::string>& flags, std::vector<std::string>& positional, std::ostream& err);

}  // namespace warden::gateway
