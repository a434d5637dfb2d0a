#include "policy/policy_store.h"

#include <sodium.h>

#include <algorithm>

#include "core/yaml.h"
#include "policy/line_diff.h"

namespace warden::policy {
namespace {

using core::Json;
using Kind = PolicyStoreError::Kind;

constexpr const char* kChannel = "warden_policies";
constexpr int64_t kSeedLockId = 7427005;  // pg_advisory_xact_lock key for seed_if_empty
constexpr size_t kMaxAuthorBytes = 200;
constexpr size_t kMaxCommentBytes = 2000;

// A timestamp column as ISO 8601 UTC with milliseconds.
std::string iso(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

void check_name(const std::string& name) {
  if (std::string problem = policy_name_problem(name); !problem.empty()) throw PolicyStoreError(Kind::kInvalidArgument, problem);
}

void check_actor(const std::string& actor, const char* what) {
  if (actor.empty() || actor.size() > kMaxAuthorBytes) {
    throw PolicyStoreError(Kind::kInvalidArgument, std::string(what) + " must be 1 to " + std::to_string(kMaxAuthorBytes) + " bytes");
  }
}

std::optional<int64_t> optional_int(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

std::string text_or_empty(const pqxx::field& f) { return f.is_null() ? std::string() : f.as<std::string>(); }

// Locks the policy's row for the rest of the transaction; returns its active version.
std::optional<int64_t> lock_policy(pqxx::work& tx, const std::string& name) {
  auto rows = tx.exec_params("SELECT active_version FROM policies WHERE name = $1 FOR UPDATE", name);
  if (rows.empty()) throw PolicyStoreError(Kind::kNotFound, "policy " + quoted(name) + " not found");
  return optional_int(rows[0][0]);
}

int64_t latest_version(pqxx::transaction_base& tx, const std::string& name) {
  auto rows = tx.exec_params("SELECT coalesce(max(version), 0) FROM policy_versions WHERE name = $1", name);
  return rows[0][0].as<int64_t>();
}

PolicyStoreError no_such_version(pqxx::transaction_base& tx, const std::string& name, int64_t version) {
  int64_t latest = latest_version(tx, name);
  if (latest == 0) return PolicyStoreError(Kind::kNotFound, "policy " + quoted(name) + " not found");
  return PolicyStoreError(Kind::kNotFound, "policy " + quoted(name) + " has no version " + std::to_string(version) +
                                               " (versions 1 to " + std::to_string(latest) + ")");
}

// Moves the active pointer, records the activation and notifies every listening gateway.
// The caller holds the row lock and commits.
Activation record_activation(pqxx::work& tx, const std::string& name, int64_t version, std::optional<int64_t> previous,
                             const std::string& kind, const std::string& actor) {
  tx.exec_params("UPDATE policies SET active_version = $2, activated_at = now() WHERE name = $1", name, version);
  auto row = tx.exec_params1("INSERT INTO policy_activations (name, version, previous_version, kind, actor)"
                             " VALUES ($1, $2, $3, $4, $5) RETURNING " + iso("activated_at"),
                             name, version, previous, kind, actor);
  Json payload = Json::object();
  payload["name"] = name;
  payload["version"] = version;
  payload["kind"] = kind;
  tx.exec_params("SELECT pg_notify($1, $2)", std::string(kChannel), payload.dump());
  Activation a;
  a.name = name;
  a.version = version;
  a.previous_version = previous;
  a.kind = kind;
  a.actor = actor;
  a.activated_at = row[0].as<std::string>();
  return a;
}

const std::string& version_columns() {
  static const std::string columns = "v.name, v.version, v.content_hash, v.author, v.comment, " + iso("v.created_at") +
                                     ", coalesce(p.active_version = v.version, false)";
  return columns;
}

PolicyVersionInfo info_from_row(const pqxx::row& row) {
  PolicyVersionInfo info;
  info.name = row[0].as<std::string>();
  info.version = row[1].as<int64_t>();
  info.content_hash = row[2].as<std::string>();
  info.author = row[3].as<std::string>();
  info.comment = row[4].as<std::string>();
  info.created_at = row[5].as<std::string>();
  info.active = row[6].as<bool>();
  return info;
}

Json optional_json(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

}  // namespace

std::string policy_name_problem(std::string_view name) {
  auto shown = [&] { return quoted(name.size() > 80 ? std::string(name.substr(0, 80)) + "..." : std::string(name)); };
  if (name.empty()) return "policy name is empty (expected [a-z0-9][a-z0-9_.-]{0,63})";
  if (name.size() > 64) return "policy name " + shown() + " is longer than 64 characters";
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name[0])) return "policy name " + shown() + " must start with a lowercase letter or a digit";
  for (char c : name) {
    if (!lower_or_digit(c) && c != '_' && c != '.' && c != '-') {
      return "policy name " + shown() + " may contain only lowercase letters, digits, '_', '.' and '-'";
    }
  }
  return "";
}

Json canonical_policy_document(const Json& document) {
  if (document.is_array()) {
    Json out = Json::array();
    for (const Json& item : document.as_array()) out.push_back(canonical_policy_document(item));
    return out;
  }
  if (!document.is_object()) return document;
  Json::Object members;
  members.reserve(document.size());
  for (const auto& [key, value] : document.as_object()) members.emplace_back(key, canonical_policy_document(value));
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return Json(std::move(members));
}

std::string policy_content_hash(std::string_view canonical_text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(canonical_text.data()), canonical_text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

Json parse_policy_source(std::string_view source_text, std::string* format) {
  size_t start = 0;
  if (source_text.substr(0, 3) == "\xEF\xBB\xBF") start = 3;  // UTF-8 byte order mark
  while (start < source_text.size() && std::isspace(static_cast<unsigned char>(source_text[start]))) ++start;
  if (start == source_text.size()) throw PolicyError({"source: the policy text is empty"});
  if (source_text[start] == '{') {
    if (format) *format = "json";
    try {
      return Json::parse(source_text.substr(start), 64);
    } catch (const core::JsonError& e) {
      throw PolicyError({std::string("source: invalid JSON: ") + e.what()});
    }
  }
  if (format) *format = "yaml";
  try {
    return core::parse_yaml(source_text);
  } catch (const core::YamlError& e) {
    throw PolicyError({std::string("source: invalid YAML: ") + e.what()});
  }
}

Json PolicyVersionInfo::to_json() const {
  Json out = Json::object();
  out["name"] = name;
  out["version"] = version;
  out["active"] = active;
  out["content_hash"] = content_hash;
  out["author"] = author;
  out["comment"] = comment;
  out["created_at"] = created_at;
  return out;
}

Json PolicyVersion::to_json() const {
  Json out = info.to_json();
  out["source_format"] = source_format;
  out["source"] = source;
  out["document"] = document;
  return out;
}

Json PolicySummary::to_json() const {
  Json out = Json::object();
  out["name"] = name;
  out["description"] = description;
  out["latest_version"] = latest_version;
  out["active_version"] = optional_json(active_version);
  out["activated_at"] = activated_at.empty() ? Json(nullptr) : Json(activated_at);
  return out;
}

Json Activation::to_json() const {
  Json out = Json::object();
  out["name"] = name;
  out["version"] = version;
  out["previous_version"] = optional_json(previous_version);
  out["kind"] = kind;
  out["actor"] = actor;
  out["activated_at"] = activated_at.empty() ? Json(nullptr) : Json(activated_at);
  out["changed"] = changed;
  return out;
}

struct PolicyStore::Prepared {
  std::string source;
  std::string format;
  std::string canonical_text;
  std::string content_hash;
};

PolicyStore::PolicyStore(core::PgPool& pool) : PolicyStore(pool, Options{}) {}
PolicyStore::PolicyStore(core::PgPool& pool, Options options) : pool_(pool), options_(std::move(options)) {}

std::shared_ptr<const CompiledPolicy> PolicyStore::compile(const Json& document, PolicyIdentity identity) const {
  return CompiledPolicy::compile(document, std::move(identity), options_.base_dir, options_.hash_key_resolver);
}

PolicyStore::Prepared PolicyStore::prepare(const std::string& name, std::string_view source_text, const Json* parsed,
                                           const std::string& author, const std::string& comment) const {
  check_name(name);
  check_actor(author, "author");
  if (comment.size() > kMaxCommentBytes) {
    throw PolicyStoreError(Kind::kInvalidArgument, "comment is longer than " + std::to_string(kMaxCommentBytes) + " bytes");
  }
  if (source_text.size() > options_.max_source_bytes) {
    throw PolicyStoreError(Kind::kInvalidArgument, "policy text is " + std::to_string(source_text.size()) +
                                                       " bytes; at most " + std::to_string(options_.max_source_bytes) +
                                                       " are accepted");
  }
  Prepared p;
  p.source = std::string(source_text);
  Json document = parsed ? *parsed : parse_policy_source(source_text, &p.format);
  if (parsed) p.format = "json";
  Json canonical = canonical_policy_document(document);
  compile(canonical, {name, 0});  // throws PolicyError listing every problem
  p.canonical_text = canonical.dump();
  p.content_hash = policy_content_hash(p.canonical_text);
  return p;
}

SaveResult PolicyStore::save(const std::string& name, std::string_view source_text, const std::string& author,
                             const std::string& comment) {
  Prepared p = prepare(name, source_text, nullptr, author, comment);
  auto conn = pool_.acquire();
  pqxx::work tx(*conn);
  tx.exec_params("INSERT INTO policies (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", name);
  lock_policy(tx, name);
  auto latest = tx.exec_params("SELECT " + version_columns() +
                                   " FROM policy_versions v JOIN policies p ON p.name = v.name"
                                   " WHERE v.name = $1 ORDER BY v.version DESC LIMIT 1",
                               name);
  SaveResult result;
  if (!latest.empty() && latest[0][2].as<std::string>() == p.content_hash) {
    result.version = info_from_row(latest[0]);
    result.created = false;
    tx.commit();
    return result;
  }
  const int64_t next = latest.empty() ? 1 : latest[0][1].as<int64_t>() + 1;
  auto row = tx.exec_params1(
      "INSERT INTO policy_versions (name, version, source, source_format, canonical, content_hash, author, comment)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING " + iso("created_at"),
      name, next, p.source, p.format, p.canonical_text, p.content_hash, author, comment);
  tx.commit();
  result.version.name = name;
  result.version.version = next;
  result.version.content_hash = p.content_hash;
  result.version.author = author;
  result.version.comment = comment;
  result.version.created_at = row[0].as<std::string>();
  result.version.active = false;
  return result;
}

SaveResult PolicyStore::save_document(const std::string& name, const Json& document, const std::string& author,
                                      const std::string& comment) {
  std::string source = document.dump(2);
  source += "\n";
  return save(name, source, author, comment);
}

std::vector<PolicySummary> PolicyStore::list() const {
  auto conn = pool_.acquire();
  pqxx::read_transaction tx(*conn);
  auto rows = tx.exec(
      "SELECT p.name, coalesce(l.latest, 0), p.active_version, " + iso("p.activated_at") +
      ", (SELECT v.canonical::jsonb ->> 'description' FROM policy_versions v"
      "    WHERE v.name = p.name AND v.version = coalesce(p.active_version, l.latest))"
      " FROM policies p LEFT JOIN (SELECT name, max(version) AS latest FROM policy_versions GROUP BY name) l"
      " ON l.name = p.name WHERE l.latest IS NOT NULL ORDER BY p.name");
  std::vector<PolicySummary> out;
  for (const auto& row : rows) {
    PolicySummary s;
    s.name = row[0].as<std::string>();
    s.latest_version = row[1].as<int64_t>();
    s.active_version = optional_int(row[2]);
    s.activated_at = text_or_empty(row[3]);
    s.description = text_or_empty(row[4]);
    out.push_back(std::move(s));
  }
  return out;
}

PolicyVersion PolicyStore::get(const std::string& name, std::optional<int64_t> version) const {
  check_name(name);
  auto conn = pool_.acquire();
  pqxx::read_transaction tx(*conn);
  const std::string sql = "SELECT " + version_columns() +
                          ", v.source, v.source_format, v.canonical"
                          " FROM policy_versions v JOIN policies p ON p.name = v.name WHERE v.name = $1";
  pqxx::result rows = version ? tx.exec_params(sql + " AND v.version = $2", name, *version)
                              : tx.exec_params(sql + " ORDER BY v.version DESC LIMIT 1", name);
  if (rows.empty()) throw no_such_version(tx, name, version.value_or(0));
  PolicyVersion v;
  v.info = info_from_row(rows[0]);
  v.source = rows[0][7].as<std::string>();
  v.source_format = rows[0][8].as<std::string>();
  v.document = Json::parse(rows[0][9].as<std::string>());
  return v;
}

std::vector<PolicyVersionInfo> PolicyStore::versions(const std::string& name) const {
  check_name(name);
  auto conn = pool_.acquire();
  pqxx::read_transaction tx(*conn);
  auto rows = tx.exec_params("SELECT " + version_columns() +
                                 " FROM policy_versions v JOIN policies p ON p.name = v.name"
                                 " WHERE v.name = $1 ORDER BY v.version",
                             name);
  if (rows.empty()) throw PolicyStoreError(Kind::kNotFound, "policy " + quoted(name) + " not found");
  std::vector<PolicyVersionInfo> out;
  for (const auto& row : rows) out.push_back(info_from_row(row));
  return out;
}

std::vector<Activation> PolicyStore::history(const std::string& name) const {
  check_name(name);
  auto conn = pool_.acquire();
  pqxx::read_transaction tx(*conn);
  if (latest_version(tx, name) == 0) throw PolicyStoreError(Kind::kNotFound, "policy " + quoted(name) + " not found");
  auto rows = tx.exec_params("SELECT version, previous_version, kind, actor, " + iso("activated_at") +
                                 " FROM policy_activations WHERE name = $1 ORDER BY id",
                             name);
  std::vector<Activation> out;
  for (const auto& row : rows) {
    Activation a;
    a.name = name;
    a.version = row[0].as<int64_t>();
    a.previous_version = optional_int(row[1]);
    a.kind = row[2].as<std::string>();
    a.actor = row[3].as<std::string>();
    a.activated_at = row[4].as<std::string>();
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<int64_t> PolicyStore::active_version(const std::string& name) const {
  check_name(name);
  auto conn = pool_.acquire();
  pqxx::read_transaction tx(*conn);
  auto rows = tx.exec_params("SELECT active_version FROM policies WHERE name = $1", name);
  if (rows.empty()) throw PolicyStoreError(Kind::kNotFound, "policy " + quoted(name) + " not found");
  return optional_int(rows[0][0]);
}

Activation PolicyStore::activate(const std::string& name, int64_t version, const std::string& actor) {
  check_name(name);
  check_actor(actor, "actor");
  // Versions never change, so the (slow) compile check needs no lock.
  PolicyVersion target = get(name, version);
  compile(target.document, {name, version});
  auto conn = pool_.acquire();
  pqxx::work tx(*conn);
  std::optional<int64_t> active = lock_policy(tx, name);
  if (active == version) {
    Activation a;
    a.name = name;
    a.version = version;
    a.previous_version = active;
    a.kind = "activate";
    a.actor = actor;
    a.changed = false;
    tx.commit();
    return a;
  }
  Activation a = record_activation(tx, name, version, active, "activate", actor);
  tx.commit();
  return a;
}

Activation PolicyStore::rollback(const std::string& name, const std::string& actor, std::optional<int64_t> to_version) {
  check_name(name);
  check_actor(actor, "actor");
  auto conn = pool_.acquire();
  pqxx::work tx(*conn);
  std::optional<int64_t> active = lock_policy(tx, name);
  int64_t target = 0;
  if (to_version) {
    target = *to_version;
  } else {
    auto rows = tx.exec_params("SELECT previous_version FROM policy_activations WHERE name = $1 ORDER BY id DESC LIMIT 1", name);
    if (rows.empty() || rows[0][0].is_null()) {
      throw PolicyStoreError(Kind::kConflict, "policy " + quoted(name) +
                                                  " has no earlier active version to roll back to; name the version");
    }
    target = rows[0][0].as<int64_t>();
  }
  if (active == target) {
    throw PolicyStoreError(Kind::kConflict, "policy " + quoted(name) + " version " + std::to_string(target) + " is already active");
  }
  auto rows = tx.exec_params("SELECT canonical FROM policy_versions WHERE name = $1 AND version = $2", name, target);
  if (rows.empty()) throw no_such_version(tx, name, target);
  compile(Json::parse(rows[0][0].as<std::string>()), {name, target});
  Activation a = record_activation(tx, name, target, active, "rollback", actor);
  tx.commit();
  return a;
}

std::string PolicyStore::diff(const std::string& name, int64_t from_version, int64_t to_version) const {
  PolicyVersion from = get(name, from_version);
  PolicyVersion to = get(name, to_version);
  std::string before = from.document.dump(2) + "\n";
  std::string after = to.document.dump(2) + "\n";
  return unified_diff(before, after, name + "@" + std::to_string(from_version), name + "@" + std::to_string(to_version));
}

std::vector<ActiveDocument> PolicyStore::active_documents() const {
  auto conn = pool_.acquire();
  pqxx::read_transaction tx(*conn);
  auto rows = tx.exec(
      "SELECT p.name, p.active_version, v.content_hash, v.canonical FROM policies p"
      " JOIN policy_versions v ON v.name = p.name AND v.version = p.active_version ORDER BY p.name");
  std::vector<ActiveDocument> out;
  for (const auto& row : rows) {
    ActiveDocument d;
    d.identity = {row[0].as<std::string>(), row[1].as<int64_t>()};
    d.content_hash = row[2].as<std::string>();
    d.document = Json::parse(row[3].as<std::string>());
    out.push_back(std::move(d));
  }
  return out;
}

bool PolicyStore::seed_if_empty(const std::string& name, std::string_view source_text, const std::string& author,
                                const std::string& comment) {
  Prepared p = prepare(name, source_text, nullptr, author, comment);
  auto conn = pool_.acquire();
  pqxx::work tx(*conn);
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kSeedLockId);
  if (tx.exec("SELECT 1 FROM policies LIMIT 1").size() > 0) return false;
  tx.exec_params("INSERT INTO policies (name) VALUES ($1)", name);
  tx.exec_params(
      "INSERT INTO policy_versions (name, version, source, source_format, canonical, content_hash, author, comment)"
      " VALUES ($1, 1, $2, $3, $4, $5, $6, $7)",
      name, p.source, p.format, p.canonical_text, p.content_hash, author, comment);
  record_activation(tx, name, 1, std::nullopt, "activate", author);
  tx.commit();
  return true;
}

}  // namespace warden::policy
