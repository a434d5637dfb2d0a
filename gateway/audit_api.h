// The compliance reviewers' HTTP API, /audit/v1/...:
//
//   GET       records           paged (cursor `after` in (time, chain, seq) order), filtered
//                               metadata plus the sealed envelope (base64); `chain` filter
//   GET       records/{id}      one record
//   GET|POST  verify            re-hashes every chain (or `chain`), checks every checkpoint; per-chain report
//   GET       checkpoints       signed checkpoints in (chain, seq) order, paged; `chain` filter
//
// The router authenticates the auditor and passes the rest of the path. Every access is
// itself an audit record (kind audit_access; the filters go into the encrypted payload),
// and the answer is sent only once that record is durable: 503 otherwise. The gateway holds
// no reviewer secret key, so payloads stay sealed here; reviewers open them offline.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "audit/keys.h"
#include "audit/writer.h"
#include "core/json.h"
#include "gateway/http_types.h"
#include "gateway/key_store.h"
#include "gateway/metrics.h"

namespace warden::audit {
class AuditReader;
}  // namespace warden::audit

namespace warden::gateway {

struct AuditApiOptions {
  // Checkpoint keys verify trusts: AuditSettings::trusted_signing_keys (current + previous).
  std::vector<audit::SigningPublicKey> trusted_signing_keys;
  // Checkpoint export file, re-read by each verify so a truncated tail is caught ("" = none).
  std::filesystem::path checkpoint_file;
};

class AuditApi {
 public:
  // `conninfo`: a connection that may SELECT audit rows (readers are opened on demand, one
  // per concurrent request, and reused). `metrics` may be null; when set it needs
  // register_audit_metrics (warden_audit_api_requests_total).
  AuditApi(std::string conninfo, audit::AuditWriter& writer, Metrics* metrics, AuditApiOptions options = {});
  ~AuditApi();
  AuditApi(const AuditApi&) = delete;
  AuditApi& operator=(const AuditApi&) = delete;

  // `rest_of_path`: what follows "/audit/v1/" ("records", "records/<id>", "verify",
  // "checkpoints"). Never throws: errors come back as OpenAI-shaped error responses
  // (400 naming the parameter, 404, 405, 503).
  HttpResponse handle(const HttpRequest& request, const Principal& auditor, std::string_view rest_of_path);

 private:
  struct Access;
  HttpResponse route(const HttpRequest& request, std::string_view rest, Access& access);
  HttpResponse records(const HttpRequest& request, Access& access);
  HttpResponse record(const HttpRequest& request, const std::string& id, Access& access);
  HttpResponse verify(const HttpRequest& request, Access& access);
  HttpResponse checkpoints(const HttpRequest& request, Access& access);
  // Stores the access record and waits until it is durable; false when it cannot be.
  bool record_access(const Principal& auditor, const HttpRequest& request, const Access& access, int status);

  std::unique_ptr<audit::AuditReader> take_reader();
  void give_back(std::unique_ptr<audit::AuditReader> reader);

  std::string conninfo_;
  audit::AuditWriter& writer_;
  Metrics* metrics_;
  AuditApiOptions options_;
  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<audit::AuditReader>> idle_readers_;
};

}  // namespace warden::gateway
