// Routes and handlers: the OpenAI API, health, metrics and the admin API, with
// authentication, roles and rate limits in front. Owns no threads.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "audit/keys.h"

#include "core/config.h"
#include "gateway/chat_backend.h"
#include "gateway/chat_exchange.h"
#include "gateway/http_types.h"
#include "gateway/key_store.h"
#include "gateway/metrics.h"
#include "gateway/rate_limiter.h"

namespace warden::policy {
class PolicyStore;
class PolicyRegistry;
}  // namespace warden::policy

namespace warden::gateway {

struct AppDeps {
  core::Config config;
  KeyStore* keys = nullptr;
  ChatBackend* backend = nullptr;          // may be null while the model loads
  std::function<bool()> database_ready;    // cheap check for /readyz
  Metrics* metrics = nullptr;
  // The active policies now; each chat request pins the snapshot it gets. Null or empty:
  // chat requests are refused (fail closed).
  std::function<std::shared_ptr<const policy::PolicySet>()> policies;
  // Every chat request, admin action and audit access is recorded here. Null or
  // unhealthy (without fail_open): those requests are refused with 503.
  audit::AuditWriter* audit = nullptr;
  // /audit/v1: a connection string that may SELECT audit rows, and what verify trusts.
  // Empty conninfo: the audit API answers 503.
  std::string audit_conninfo;
  std::vector<audit::SigningPublicKey> trusted_signing_keys;
  std::filesystem::path checkpoint_file;
  // /admin/v1/policies; null: that API answers 503.
  policy::PolicyStore* policy_store = nullptr;
  policy::PolicyRegistry* policy_registry = nullptr;
};

class AdminPolicies;
class AuditApi;

class App {
 public:
  explicit App(AppDeps deps);
  ~App();
  void handle(const HttpRequest& request, std::shared_ptr<Responder> responder);
  void count_early_error(int status);
  RateLimiter& rate_limiter() { return limiter_; }

 private:
  struct Route;
  // 401 for a missing or bad key; a key of another role is recorded in the audit log, then 403.
  Principal authenticate(const HttpRequest& request, Role needed) const;
  // Throws 429 with Retry-After when the key or its team is over its limits.
  void check_rate_limit(const Principal& principal, int64_t estimated_tokens);
  void require_audit() const;  // 503 when the audit log cannot take records
  RateLimits limits_for(const Principal& p) const;
  void chat_completions(const HttpRequest& request, const Principal& principal, std::shared_ptr<Responder> responder,
                        std::function<void(int)> done);
  HttpResponse models(const HttpRequest& request, const std::string& id);
  HttpResponse admin_keys(const HttpRequest& request, const Principal& actor, const std::string& id);
  HttpResponse admin_teams(const HttpRequest& request, const Principal& actor, const std::string& name);

  // Records an admin action and waits until it is durable; throws 503 when it cannot be.
  void record_admin(const Principal& actor, const std::string& action, core::Json details, bool ok = true);

  AppDeps deps_;
  AuditTrail audit_;
  std::unique_ptr<AdminPolicies> admin_policies_;
  std::unique_ptr<AuditApi> audit_api_;
  RateLimiter limiter_;
};

// Registers the gateway's metric families on `metrics`.
void register_gateway_metrics(Metrics& metrics);

}  // namespace warden::gateway
