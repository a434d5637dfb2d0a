// Read side of the audit log for reviewers: search, fetch one record (decrypted when a
// reviewer key is supplied), verify, list checkpoints. Every method returns core::Json as
// served by the gateway's /audit/v1/... endpoints and printed by `warden audit`.
// The caller (gateway) records each access as an audit_access record through AuditWriter.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "audit/keys.h"
#include "audit/verifier.h"
#include "core/json.h"

namespace warden::audit {

class AuditStore;

// Where a page of search results continues. Records are listed in (time_us, chain, seq)
// order: a total order over every chain that does not change as records are added (a record
// arriving later with an earlier time lands behind a cursor that has passed it).
struct RecordCursor {
  int64_t time_us = 0;
  std::string chain;
  uint64_t seq = 0;
};
// Text form used by the API and CLI ("next_after"): "<time_us>.<seq>.<chain>".
std::string format_record_cursor(const RecordCursor& cursor);
RecordCursor parse_record_cursor(const std::string& text);  // throws std::runtime_error naming the problem

struct SearchQuery {
  std::optional<std::string> chain;
  std::optional<int64_t> from_us;  // inclusive
  std::optional<int64_t> to_us;    // exclusive
  std::optional<std::string> key_id;
  std::optional<std::string> team;
  std::optional<std::string> decision;
  std::optional<std::string> entity_type;
  std::optional<std::string> kind;
  std::optional<std::string> policy_name;
  std::optional<int64_t> policy_version;
  std::optional<std::string> text;  // substring of the decrypted payload; needs a reviewer key
  std::optional<RecordCursor> after;  // paging: continue after this record
  size_t limit = 100;
  bool include_sealed = false;      // add the stored envelope (see record_to_json)
};

class AuditReader {
 public:
  explicit AuditReader(const std::string& conninfo);
  ~AuditReader();

  // {"records": [record...], "next_after": cursor | null}. With `key`, each record carries
  // "payload" (or "payload_error" when it cannot be opened with that key).
  core::Json search(const SearchQuery& query, const ReviewerSecretKey* key = nullptr);
  // The record, or null Json when no record has that id.
  core::Json get(const std::string& record_id, const ReviewerSecretKey* key = nullptr, bool include_sealed = false);
  core::Json verify(const VerifyOptions& options);
  core::Json checkpoints(const std::optional<std::string>& chain = std::nullopt, size_t limit = 1000);

  AuditStore& store() { return *store_; }

 private:
  std::unique_ptr<AuditStore> store_;
};

// Builds the record JSON shown to reviewers (chain, seq, header fields, hashes, key ids). With
// `include_sealed`, also the envelope as stored, so a reviewer can open it offline:
// "header_text" (the AEAD associated data), "nonce", "ciphertext" and "sealed_keys"
// ([{"reviewer_key_id", "sealed"}]), binary fields in base64.
struct LoadedRecord;
core::Json record_to_json(const LoadedRecord& record, const ReviewerSecretKey* key, bool include_sealed = false);

}  // namespace warden::audit
