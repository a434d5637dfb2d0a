// `warden audit ...` subcommands for compliance reviewers and operators. The lead wires
// run_audit_command into the `warden` binary; args[0] is the subcommand:
//
//   keygen --out PREFIX [--passphrase-env VAR]          reviewer X25519 pair: PREFIX.pub, PREFIX.key (0600)
//   signing-keygen --out PREFIX [--passphrase-env VAR]  gateway Ed25519 checkpoint key pair
//   search --db C [filters] [--key FILE [--text S]] [--limit N] [--after CURSOR]   one JSON record per line
//   show ID --db C --key FILE                           one record with its decrypted payload
//   verify --db C --signing-pub FILE... [--checkpoints FILE] [--chain C] [--strict] [--json]   exit 0 pass, 1 fail;
//                                                       every chain unless --chain
//   export --db C --format jsonl|csv [--key FILE] [--out FILE] [filters]
//   export-checkpoints --db C --out FILE [--chain C]    signed checkpoints as JSON lines (each names its chain)
//   prune --db C --before DATE --signing-key FILE       delete old records of every chain, a signed prune marker per chain
// Filters: --chain C --from DATE --to DATE --api-key ID --team T --decision D --entity TYPE
//          --kind K --policy NAME --policy-version N. Passphrases come only from environment
// variables (--passphrase-env VAR), never from the command line.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace warden::audit {

int run_audit_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace warden::audit
