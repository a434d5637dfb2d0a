// Signed checkpoints over the audit hash chain: (sequence, head hash, time) signed with
// the gateway's Ed25519 key every N records or T seconds, at shutdown, and as prune markers.
// Exported to a file outside the database so that a truncated tail is detectable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "audit/keys.h"
#include "core/json.h"

namespace warden::audit {

struct Checkpoint {
  std::string chain = "main";  // the chain it covers (see record.h, kLegacyChain)
  uint64_t seq = 0;         // last record covered
  std::string head_hash;    // hash of record `seq` (32 bytes)
  int64_t time_us = 0;
  std::string kind;         // periodic | shutdown | prune
  std::string signing_key_id;
  std::string signature;    // Ed25519 over checkpoint_message()
};

// What is signed: "warden-audit-checkpoint-v2", chain, seq, head hash, time, kind, key id.
std::string checkpoint_message(const Checkpoint& cp);
// The form signed before chains existed (no chain); accepted only for chain "main".
std::string legacy_checkpoint_message(const Checkpoint& cp);
Checkpoint sign_checkpoint(const std::string& chain, uint64_t seq, const std::string& head_hash, const std::string& kind,
                           const SigningKey& key);
// Empty string when valid; else why not (untrusted key id, bad signature: also the answer
// for a checkpoint moved to another chain, as the chain is part of the signed message).
std::string checkpoint_problem(const Checkpoint& cp, const std::vector<SigningPublicKey>& trusted);

// JSON form (export file, spool, API); a line without "chain" (written before chains) is chain "main".
core::Json checkpoint_to_json(const Checkpoint& cp);
Checkpoint checkpoint_from_json(const core::Json& json);

// JSON-lines file of checkpoints; append fsyncs.
void append_checkpoint_file(const std::filesystem::path& file, const Checkpoint& cp);
std::vector<Checkpoint> read_checkpoint_file(const std::filesystem::path& file);

}  // namespace warden::audit
