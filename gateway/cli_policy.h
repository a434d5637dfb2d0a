// `warden policy apply|list|show|history|activate|rollback|diff|test`: the policy store
// from the command line. Like `warden keys` it works on the database directly (the
// configured one, or the embedded server a running gateway started); running gateways pick
// changes up through NOTIFY. `warden policy test --policy FILE` needs no database.
// Exit codes: 0 done, 1 invalid policy, sample or usage (problems on stderr), or a store error.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "core/config.h"

namespace warden::gateway {

int run_policy_command(const core::Config& config, const std::vector<std::string>& args, std::istream& in,
                       std::ostream& out, std::ostream& err);

}  // namespace warden::gateway
