#include "gateway/key_store.h"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

namespace warden::gateway {
namespace {

constexpr std::string_view kPrefix = "wdn_";
constexpr size_t kIdHexChars = 12;
constexpr size_t kSecretHexChars = 64;

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), bytes);
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()), bytes);
  hex.pop_back();
  sodium_memzero(raw.data(), raw.size());
  return hex;
}

bool all_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<int64_t> nullable_int(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

core::Json json_or_null(const std::optional<int64_t>& v) { return v ? core::Json(*v) : core::Json(nullptr); }

// The columns' ranges (migrations/0001_init.sql): requests_per_minute is an integer.
void check_limits(std::optional<int64_t> rpm, std::optional<int64_t> tpm) {
  if (rpm && (*rpm < 1 || *rpm > 2147483647)) {
    throw std::invalid_argument("requests_per_minute: must be between 1 and 2147483647");
  }
  if (tpm && *tpm < 1) throw std::invalid_argument("tokens_per_minute: must be at least 1");
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::kUser: return "user";
    case Role::kAdmin: return "admin";
    case Role::kAuditor: return "auditor";
  }
  return "user";
}

std::optional<Role> parse_role(std::string_view name) {
  if (name == "user") return Role::kUser;
  if (name == "admin") return Role::kAdmin;
  if (name == "auditor") return Role::kAuditor;
  return std::nullopt;
}

KeyStore::KeyStore(core::PgPool& pool, std::string hashing_key, std::chrono::seconds outage_grace)
    : pool_(pool), hashing_key_(std::move(hashing_key)), outage_grace_(outage_grace) {
  if (hashing_key_.size() < crypto_generichash_KEYBYTES_MIN) throw std::invalid_argument("API key hashing key too short");
}

std::string KeyStore::hash(std::string_view key) const {
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     reinterpret_cast<const unsigned char*>(hashing_key_.data()), hashing_key_.size());
  return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

CreatedKey KeyStore::create(const NewKey& key) {
  if (key.name.empty() || key.name.size() > 128) throw std::invalid_argument("name: must be 1 to 128 characters");
  if (key.team.empty()) throw std::invalid_argument("team: must not be empty");
  check_limits(key.requests_per_minute, key.tokens_per_minute);
  CreatedKey created;
  created.id = random_hex(kIdHexChars / 2);
  created.secret = std::string(kPrefix) + created.id + "_" + random_hex(kSecretHexChars / 2);
  std::string digest = hash(created.secret);
  auto conn = pool_.acquire();
  pqxx::work tx(*conn);
  try {
    tx.exec_params("INSERT INTO teams (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", key.team);
  } catch (const pqxx::check_violation&) {
    throw std::invalid_argument("team: \"" + key.team + "\" is not a valid team name (letters, digits, _ . -; at most 64)");
  }
  tx.exec_params(
      "INSERT INTO api_keys (id, name, team, role, secret_hash, requests_per_minute, tokens_per_minute)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7)",
      created.id, key.name, key.team, role_name(key.role),
      pqxx::binarystring(reinterpret_cast<const unsigned char*>(digest.data()), digest.size()), key.requests_per_minute,
      key.tokens_per_minute);
  tx.commit();
  return created;
}

core::Json KeyStore::list(bool include_revoked) const {
  auto conn = const_cast<core::PgPool&>(pool_).acquire();
  pqxx::read_transaction tx(*conn);
  auto rows = tx.exec(std::string("SELECT id, name, team, role, requests_per_minute, tokens_per_minute,"
                                  " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                                  " to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                                  " FROM api_keys") +
                      (include_revoked ? "" : " WHERE revoked_at IS NULL") + " ORDER BY created_at, id");
  core::Json out = core::Json::array();
  for (const auto& row : rows) {
    core::Json item = core::Json::object();
    item["id"] = row[0].as<std::string>();
    item["name"] = row[1].as<std::string>();
    item["team"] = row[2].as<std::string>();
    item["role"] = row[3].as<std::string>();
    item["requests_per_minute"] = json_or_null(nullable_int(row[4]));
    item["tokens_per_minute"] = json_or_null(nullable_int(row[5]));
    item["created_at"] = row[6].as<std::string>();
    item["revoked_at"] = row[7].is_null() ? core::Json(nullptr) : core::Json(row[7].as<std::string>());
    out.push_back(std::move(item));
  }
  return out;
}

bool KeyStore::revoke(const std::string& id) {
  auto conn = pool_.acquire();
  pqxx::work tx(*conn);
  auto result = tx.exec_params("UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", id);
  tx.commit();
  forget(id);
  return result.affected_rows() == 1;
}

size_t KeyStore::count_active(Role role) const {
  auto conn = const_cast<core::PgPool&>(pool_).acquire();
  pqxx::read_transaction tx(*conn);
  return tx.exec_params1("SELECT count(*) FROM api_keys WHERE role = $1 AND revoked_at IS NULL", role_name(role))[0]
      .as<size_t>();
}

std::variant<Principal, KeyStore::Refusal> KeyStore::authenticate(std::string_view presented) const {
  const size_t expected = kPrefix.size() + kIdHexChars + 1 + kSecretHexChars;
  if (presented.size() != expected || presented.substr(0, kPrefix.size()) != kPrefix ||
      presented[kPrefix.size() + kIdHexChars] != '_' || !all_hex(presented.substr(kPrefix.size(), kIdHexChars)) ||
      !all_hex(presented.substr(kPrefix.size() + kIdHexChars + 1))) {
    return Refusal{"Malformed API key: Warden keys look like wdn_<12 hex>_<64 hex>."};
  }
  std::string id(presented.substr(kPrefix.size(), kIdHexChars));
  std::string digest = hash(presented);
  // Two tries: a pooled connection may have been cut by a database restart since its
  // last use; the second try connects afresh.
  std::string failure;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      auto result = authenticate_in_db(id, digest);
      if (const auto* p = std::get_if<Principal>(&result)) {
        remember(id, digest, *p);
      } else {
        forget(id);
      }
      return result;
    } catch (const pqxx::broken_connection& e) {
      failure = e.what();
    } catch (const pqxx::sql_error& e) {
      // Connection exceptions (08) and a server shutting down (57) are outages; any
      // other SQL error is a bug and propagates.
      const std::string state = e.sqlstate();
      if (state.rfind("08", 0) != 0 && state.rfind("57", 0) != 0) throw;
      failure = e.what();
      break;
    } catch (const std::runtime_error& e) {  // the pool could not connect
      failure = e.what();
      break;
    }
  }
  if (auto p = recently_verified(id, digest)) return *p;
  throw KeyStoreUnavailable("the database cannot be reached to verify the API key (" + failure + ")");
}

std::variant<Principal, KeyStore::Refusal> KeyStore::authenticate_in_db(const std::string& id,
                                                                      const std::string& digest) const {
  auto conn = const_cast<core::PgPool&>(pool_).acquire();
  pqxx::read_transaction tx(*conn);
  auto rows = tx.exec_params(
      "SELECT k.secret_hash, k.name, k.team, k.role, k.revoked_at IS NOT NULL,"
      " coalesce(k.requests_per_minute, t.requests_per_minute), coalesce(k.tokens_per_minute, t.tokens_per_minute)"
      " FROM api_keys k JOIN teams t ON t.name = k.team WHERE k.id = $1",
      id);
  if (rows.empty()) return Refusal{"Incorrect API key provided."};
  pqxx::binarystring stored(rows[0][0]);
  if (stored.size() != digest.size() || sodium_memcmp(stored.data(), digest.data(), digest.size()) != 0) {
    return Refusal{"Incorrect API key provided."};
  }
  if (rows[0][4].as<bool>()) return Refusal{"This API key has been revoked."};
  Principal p;
  p.key_id = id;
  p.key_name = rows[0][1].as<std::string>();
  p.team = rows[0][2].as<std::string>();
  p.role = parse_role(rows[0][3].as<std::string>()).value_or(Role::kUser);
  p.requests_per_minute = nullable_int(rows[0][5]);
  p.tokens_per_minute = nullable_int(rows[0][6]);
  return p;
}

std::optional<Principal> KeyStore::recently_verified(const std::string& id, const std::string& digest) const {
  std::lock_guard lock(verified_mutex_);
  auto it = verified_.find(id);
  if (it == verified_.end() || std::chrono::steady_clock::now() - it->second.at > outage_grace_) return std::nullopt;
  if (it->second.digest.size() != digest.size() ||
      sodium_memcmp(it->second.digest.data(), digest.data(), digest.size()) != 0) {
    return std::nullopt;
  }
  ++outage_authentications_;
  return it->second.principal;
}

void KeyStore::remember(const std::string& id, const std::string& digest, const Principal& p) const {
  if (outage_grace_.count() <= 0) return;
  constexpr size_t kMaxRemembered = 100000;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(verified_mutex_);
  if (verified_.size() >= kMaxRemembered && !verified_.count(id)) {
    // Drop what has expired; if nothing has, the least recently verified key.
    std::erase_if(verified_, [&](const auto& kv) { return now - kv.second.at > outage_grace_; });
    if (verified_.size() >= kMaxRemembered) {
      auto oldest = std::min_element(verified_.begin(), verified_.end(),
                                     [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
      verified_.erase(oldest);
    }
  }
  verified_[id] = Verified{digest, p, now};
}

void KeyStore::forget(const std::string& id) const {
  std::lock_guard lock(verified_mutex_);
  verified_.erase(id);
}

uint64_t KeyStore::outage_authentications() const {
  std::lock_guard lock(verified_mutex_);
  return outage_authentications_;
}

void KeyStore::set_team_limits(const std::string& team, std::optional<int64_t> rpm, std::optional<int64_t> tpm) {
  check_limits(rpm, tpm);
  auto conn = pool_.acquire();
  pqxx::work tx(*conn);
  tx.exec_params(
      "INSERT INTO teams (name, requests_per_minute, tokens_per_minute) VALUES ($1, $2, $3)"
      " ON CONFLICT (name) DO UPDATE SET requests_per_minute = $2, tokens_per_minute = $3",
      team, rpm, tpm);
  tx.commit();
}

core::Json KeyStore::list_teams() const {
  auto conn = const_cast<core::PgPool&>(pool_).acquire();
  pqxx::read_transaction tx(*conn);
  core::Json out = core::Json::array();
  for (const auto& row : tx.exec("SELECT name, requests_per_minute, tokens_per_minute FROM teams ORDER BY name")) {
    core::Json item = core::Json::object();
    item["name"] = row[0].as<std::string>();
    item["requests_per_minute"] = json_or_null(nullable_int(row[1]));
    item["tokens_per_minute"] = json_or_null(nullable_int(row[2]));
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace warden::gateway
