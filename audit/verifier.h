// Verifies the audit chains in PostgreSQL, each on its own: re-hashes every record, checks
// links, sequence continuity, that each record and checkpoint belongs to the chain it is
// stored in (the chain id is hashed, authenticated and signed), search columns against the
// hashed header, every checkpoint's signature against a set of trusted signing keys (old
// keys stay trusted after a rotation), and checkpoints exported elsewhere (which reveal a
// truncated tail). Called by `warden audit verify` and GET /audit/v1/verify.
#pragma once

#include <cstdint>
#include <optional>
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
  std::optional<std::string> chain;  // only this chain (its external checkpoints included)
};

struct VerifyProblem {
  std::string chain;       // the chain the record is stored in
  uint64_t seq = 0;        // the first record the problem concerns
  std::string record_id;   // empty when that record is missing
  std::string what;        // the problem (without the chain id: see `chain`)
};

// One chain's result.
struct ChainReport {
  std::string chain;
  bool ok = true;
  uint64_t records_checked = 0;
  uint64_t checkpoints_checked = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t attested_seq = 0;  // last seq covered by a valid checkpoint
  std::vector<VerifyProblem> problems;  // sorted by seq
  std::vector<std::string> warnings;
  core::Json to_json() const;
};

struct VerifyReport {
  bool ok = true;
  uint64_t records_checked = 0;      // all chains
  uint64_t checkpoints_checked = 0;  // all chains
  std::vector<ChainReport> chains;   // sorted by chain id
  // Every chain's problems, chains in order, each sorted by seq: problems.front() is the first
  // bad record of the first failing chain.
  std::vector<VerifyProblem> problems;
  std::vector<std::string> warnings;
  const ChainReport* chain(const std::string& id) const;  // null when not verified
  core::Json to_json() const;
};

VerifyReport verify_chain(AuditStore& store, const VerifyOptions& options);

}  // namespace warden::audit
