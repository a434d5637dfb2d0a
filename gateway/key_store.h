// API keys: creation, listing, revocation and authentication against PostgreSQL.
//
// A key looks like `wdn_<12 hex id>_<64 hex secret>`. Only a keyed BLAKE2b hash of the
// whole key is stored (the hashing key lives in state_dir, never in the database), and
// the hash is compared in constant time. Every authentication reads the row, so a
// revocation takes effect on the very next request.
//
// Database outages: a key the database verified within the last `outage_grace` keeps
// working while the database cannot be reached (the audit log spools meanwhile), so a
// restart of PostgreSQL does not turn into refused requests. Keys never seen, or seen
// longer ago, get KeyStoreUnavailable (503). A revocation can only happen while the
// database is up, and it drops the key from this memory at once.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
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

// The database could not be asked and the key is not among those recently verified.
class KeyStoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CreatedKey {
  std::string id;
  std::string secret;  // shown once, never stored
};

class KeyStore {
 public:
  // outage_grace 0: refuse every request while the database is unreachable.
  KeyStore(core::PgPool& pool, std::string hashing_key,
           std::chrono::seconds outage_grace = std::chrono::seconds(300));

  // Creates the team when missing. std::invalid_argument names a bad field (name, team,
  // a limit outside its column's range).
  CreatedKey create(const NewKey& key);
  core::Json list(bool include_revoked) const;  // never includes hashes
  bool revoke(const std::string& id);           // false when unknown or already revoked
  size_t count_active(Role role) const;

  // Why a presented credential was refused; the message is safe to show the client.
  struct Refusal {
    std::string message;
  };
  // Returns the principal, or a refusal for a malformed, unknown or revoked key. Throws
  // KeyStoreUnavailable when the database cannot be reached and the key was not verified
  // within the outage grace (see above).
  std::variant<Principal, Refusal> authenticate(std::string_view presented) const;
  // Authentications answered from memory during database outages (for metrics).
  uint64_t outage_authentications() const;

  // Sets a team's rate limits (creating the team when missing); std::invalid_argument for
  // a limit out of range.
  void set_team_limits(const std::string& team, std::optional<int64_t> rpm, std::optional<int64_t> tpm);
  core::Json list_teams() const;

 private:
  std::string hash(std::string_view key) const;
  std::variant<Principal, Refusal> authenticate_in_db(const std::string& id, const std::string& digest) const;
  std::optional<Principal> recently_verified(const std::string& id, const std::string& digest) const;
  void remember(const std::string& id, const std::string& digest, const Principal& p) const;
  void forget(const std::string& id) const;

  core::PgPool& pool_;
  std::string hashing_key_;
  std::chrono::seconds outage_grace_;

  struct Verified {
    std::string digest;
    Principal principal;
    std::chrono::steady_clock::time_point at;
  };
  mutable std::mutex verified_mutex_;
  mutable std::unordered_map<std::string, Verified> verified_;  // by key id
  mutable uint64_t outage_authentications_ = 0;
};

}  // namespace warden::gateway
