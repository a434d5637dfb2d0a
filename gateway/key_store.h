// API keys: creation, listing, revocation and authentication against PostgreSQL.
//
// A key looks like `wdn_<12 hex id>_<64 hex secret>`. Only a keyed BLAKE2b hash of the
// whole key is stored (the hashing key lives in state_dir, never in the database), and
// the hash is compared in constant time. Every authentication reads the row, so a
// revocation takes effect on the very next request.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "core/json.h"
#include "core/pg_pool.h"

namespace warden::gateway {

enum class Role { kUser, kAdmin, kAuditor };
const char* role_name(Role role);
std::optional<Role> parse_role(std::string_view name);

struct Principal {
  std::string key_id;
  std::string key_name;
  std::string team;
  Role role = Role::kUser;
  std::optional<int64_t> requests_per_minute;  // key's own, else team's, else unset
  std::optional<int64_t> tokens_per_minute;
};

struct NewKey {
  std::string name;
  std::string team;
  Role role = Role::kUser;
  std::optional<int64_t> requests_per_minute;
  std::optional<int64_t> tokens_per_minute;
};

struct CreatedKey {
  std::string id;
  std::string secret;  // shown once, never stored
};

class KeyStore {
 public:
  KeyStore(core::PgPool& pool, std::string hashing_key);

  CreatedKey create(const NewKey& key);        // creates the team when missing
  core::Json list(bool include_revoked) const;  // never includes hashes
  bool revoke(const std::string& id);           // false when unknown or already revoked
  size_t count_active(Role role) const;

  // Why a presented credential was refused; the message is safe to show the client.
  struct Refusal {
    std::string message;
  };
  // Returns the principal, or a refusal for a malformed, unknown or revoked key.
  std::variant<Principal, Refusal> authenticate(std::string_view presented) const;

  // Sets a team's rate limits (creating the team when missing).
  void set_team_limits(const std::string& team, std::optional<int64_t> rpm, std::optional<int64_t> tpm);
  core::Json list_teams() const;

 private:
  std::string hash(std::string_view key) const;
  core::PgPool& pool_;
  std::string hashing_key_;
};

}  // namespace warden::gateway
