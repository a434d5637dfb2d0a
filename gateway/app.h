// Routes and handlers: the OpenAI API, health, metrics and the admin API, with
// authentication, roles and rate limits in front. Owns no threads.
#pragma once

#include <memory>

#include "core/config.h"
#include "gateway/chat_backend.h"
#include "gateway/http_types.h"
#include "gateway/key_store.h"
#include "gateway/metrics.h"
#include "gateway/rate_limiter.h"

namespace warden::gateway {

struct AppDeps {
  core::Config config;
  KeyStore* keys = nullptr;
  ChatBackend* backend = nullptr;          // may be null while the model loads
  std::function<bool()> database_ready;    // cheap check for /readyz
  Metrics* metrics = nullptr;
};

class App {
 public:
  explicit App(AppDeps deps);
  void handle(const HttpRequest& request, std::shared_ptr<Responder> responder);
  void count_early_error(int status);
  RateLimiter& rate_limiter() { return limiter_; }

 private:
  struct Route;
  Principal authenticate(const HttpRequest& request, Role needed) const;
  RateLimits limits_for(const Principal& p) const;
  void chat_completions(const HttpRequest& request, const Principal& principal, std::shared_ptr<Responder> responder,
                        std::function<void(int)> done);
  HttpResponse models(const HttpRequest& request, const std::string& id);
  HttpResponse admin_keys(const HttpRequest& request, const std::string& id);
  HttpResponse admin_teams(const HttpRequest& request, const std::string& name);

  AppDeps deps_;
  RateLimiter limiter_;
};

// Registers the gateway's metric families on `metrics`.
void register_gateway_metrics(Metrics& metrics);

}  // namespace warden::gateway
