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
  uint64_t seq = 0;         // last record covered
  std::string head_hash;    // hash of record `seq` (32 bytes)
  int64_t time_us = 0;
  std::string kind;         // periodic | shutdown | prune
  std::string signing_key_id;
  std::string signature;    // Ed25519 over checkpoint_message()
};

std::string checkpoint_message(const Checkpoint& cp);
Checkpoint sign_checkpoint(uint64_t seq, const std::string& head_hash, const std::string& kind, const SigningKey& key);
// Empty string when valid; else why not (untrusted key id, bad signature).
std::string checkpoint_problem(const Checkpoint& cp, const std::vector<SigningPublicKey>& trusted);

core::Json checkpoint_to_json(const Checkpoint& cp);
Checkpoint checkpoint_from_json(const core::Json& json);

// JSON-lines file of checkpoints; append fsyncs.
void append_checkpoint_file(const std::filesystem::path& file, const Checkpoint& cp);
std::vector<Checkpoint> read_checkpoint_file(const std::filesystem::path& file);

}  // namespace warden::audit
