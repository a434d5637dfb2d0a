// Verifies the audit chain in PostgreSQL: re-hashes every record, checks links, sequence
// continuity, search columns against the hashed header, every checkpoint's signature
// against a set of trusted signing keys (old keys stay trusted after a rotation), and
// checkpoints exported elsewhere (which reveal a truncated tail). Called by
// `warden audit verify` and GET /audit/v1/verify.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/keys.h"
#include "core/json.h"

namespace warden::audit {

class AuditStore;

struct VerifyOptions {
  std::vector<SigningPublicKey> trusted_signing_keys;
  std::vector<Checkpoint> external_checkpoints;  // e.g. read_checkpoint_file(...)
  bool strict = false;  // records not yet covered by a signed checkpoint count as failures
};

struct VerifyProblem {
  uint64_t seq = 0;        // the first record the problem concerns
  std::string record_id;   // empty when that record is missing
  std::string what;
};

struct VerifyReport {
  bool ok = true;
  uint64_t records_checked = 0;
  uint64_t checkpoints_checked = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t attested_seq = 0;  // last seq covered by a valid checkpoint
  std::vector<VerifyProblem> problems;  // sorted by seq: problems.front() is the first bad record
  std::vector<std::string> warnings;
  core::Json to_json() const;
};

VerifyReport verify_chain(AuditStore& store, const VerifyOptions& options);

}  // namespace warden::audit
