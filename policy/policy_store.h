// The policy store: named policies in PostgreSQL (migrations/0003_policies.sql), each an
// append-only list of immutable versions, one of them active, with an activation history.
// The admin API (gateway/admin_policies.h), `warden policy` and the PolicyRegistry (which
// compiles the active versions for requests) all go through this class.
//
// Decisions worth knowing:
// - A version stores the text as given (YAML or JSON), its canonical JSON (object keys
//   sorted, compact) and the SHA-256 of the canonical text (hex). The canonical document is
//   what gets compiled, diffed and served, so formatting and key order never matter.
// - Saving a document whose content hash equals the LATEST version's creates nothing and
//   reports that version with created = false (re-applying the same file is idempotent).
//   A document equal to an older version becomes a new version.
// - Every save and activation compiles the document with CompiledPolicy::compile; a
//   document that does not compile changes nothing (PolicyError lists every problem).
// - Activation (and rollback) is one transaction: the active pointer moves, a history row
//   is added, and NOTIFY warden_policies tells every gateway to reload on commit.
//   Activating the version that is already active changes nothing (changed = false).
// - Rollback without a version goes to the version that was active before the current
//   activation (the previous_version of the latest history row); a second rollback
//   therefore returns to where the first one started, like `cd -`. Name a version to go
//   further back.
// - Diffs compare the canonical documents pretty-printed (2-space indent, sorted keys), not
//   the sources, so a YAML-to-JSON rewrite of the same policy shows no difference.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/pg_pool.h"
#include "policy/policy.h"

namespace warden::policy {

// Thrown for a request the store refuses for a reason other than an invalid document
// (which is PolicyError). The message names the policy and what is wrong.
class PolicyStoreError : public std::runtime_error {
 public:
  enum class Kind { kInvalidArgument, kNotFound, kConflict };
  PolicyStoreError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Policy names: [a-z0-9][a-z0-9_.-]{0,63}. Returns an empty string when valid, else why not.
std::string policy_name_problem(std::string_view name);

// Object keys sorted at every level, compact: what is hashed, stored and compiled.
core::Json canonical_policy_document(const core::Json& document);
std::string policy_content_hash(std::string_view canonical_text);  // SHA-256, lowercase hex

// Parses an admin's text: JSON when it starts with '{', else YAML. Throws PolicyError
// ("source: ...") when it is neither.
core::Json parse_policy_source(std::string_view source_text, std::string* format = nullptr);

struct PolicyVersionInfo {
  std::string name;
  int64_t version = 0;
  std::string content_hash;
  std::string author;
  std::string comment;
  std::string created_at;  // ISO 8601 as PostgreSQL prints it
  bool active = false;
  core::Json to_json() const;
};

struct PolicyVersion {
  PolicyVersionInfo info;
  std::string source;         // as the admin gave it
  std::string source_format;  // yaml | json
  core::Json document;        // canonical
  core::Json to_json() const;  // info + source, source_format, document
};

struct PolicySummary {
  std::string name;
  int64_t latest_version = 0;
  std::optional<int64_t> active_version;
  std::string activated_at;  // empty when none is active
  std::string description;   // the active (else latest) document's description, if any
  core::Json to_json() const;
};

struct Activation {
  std::string name;
  int64_t version = 0;
  std::optional<int64_t> previous_version;
  std::string kind;  // activate | rollback
  std::string actor;
  std::string activated_at;
  bool changed = true;  // false: the version was already active, nothing was written
  core::Json to_json() const;
};

struct SaveResult {
  PolicyVersionInfo version;
  bool created = true;  // false: identical to the latest version, which is returned
};

// An active version as the registry needs it.
struct ActiveDocument {
  PolicyIdentity identity;
  std::string content_hash;
  core::Json document;  // canonical
};

class PolicyStore {
 public:
  struct Options {
    // Resolves relative `dictionary_file` paths of stored documents. The gateway and
    // `warden policy` must use the same one (default: the working directory).
    std::string base_dir;
    HashKeyResolver hash_key_resolver = default_hash_key_resolver;
    size_t max_source_bytes = 4 << 20;
  };

  explicit PolicyStore(core::PgPool& pool);
  PolicyStore(core::PgPool& pool, Options options);

  // Validates and stores a new version (see the class comment for identical content).
  // Throws PolicyError (invalid document, nothing saved) or PolicyStoreError (bad name,
  // author or comment).
  SaveResult save(const std::string& name, std::string_view source_text, const std::string& author,
                  const std::string& comment = "");
  // The same for a document that arrived as a JSON tree; its source is stored pretty-printed.
  SaveResult save_document(const std::string& name, const core::Json& document, const std::string& author,
                           const std::string& comment = "");

  std::vector<PolicySummary> list() const;
  // The given version, or the latest. Throws PolicyStoreError kNotFound.
  PolicyVersion get(const std::string& name, std::optional<int64_t> version = std::nullopt) const;
  std::vector<PolicyVersionInfo> versions(const std::string& name) const;  // oldest first
  std::vector<Activation> history(const std::string& name) const;          // oldest first
  std::optional<int64_t> active_version(const std::string& name) const;   // kNotFound when no such policy

  // Throws PolicyStoreError (unknown policy or version) or PolicyError (the version no
  // longer compiles here, e.g. a dictionary file went missing: nothing changes).
  Activation activate(const std::string& name, int64_t version, const std::string& actor);
  // kConflict when there is nothing to roll back to or the target is already active.
  Activation rollback(const std::string& name, const std::string& actor, std::optional<int64_t> to_version = std::nullopt);

  // Unified diff of the canonical pretty-printed documents of two versions ("" if equal).
  std::string diff(const std::string& name, int64_t from_version, int64_t to_version) const;

  // The active version of every policy that has one, ordered by name.
  std::vector<ActiveDocument> active_documents() const;

  // When the store holds no policy at all: saves `source_text` as `name` version 1 and
  // activates it, in one transaction that concurrent gateways serialize on. Returns true
  // when it seeded.
  bool seed_if_empty(const std::string& name, std::string_view source_text, const std::string& author,
                     const std::string& comment);

  // Compiles a document the way save/activate do (identity name@version).
  std::shared_ptr<const CompiledPolicy> compile(const core::Json& document, PolicyIdentity identity) const;
  const Options& options() const { return options_; }
  core::PgPool& pool() const { return pool_; }

 private:
  struct Prepared;
  Prepared prepare(const std::string& name, std::string_view source_text, const core::Json* parsed,
                   const std::string& author, const std::string& comment) const;

  core::PgPool& pool_;
  Options options_;
};

}  // namespace warden::policy
