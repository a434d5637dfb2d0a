#include "gateway/serve.h"

#include <signal.h>

#include <filesystem>
#include <ostream>

#include "core/log.h"
#include "core/pg_pool.h"
#include "core/secret_file.h"
#include "audit/writer.h"
#include "gateway/app.h"
#include "gateway/audit_setup.h"
#include "gateway/database.h"
#include "gateway/key_store.h"
#include "gateway/server.h"
#include "policy/policy_registry.h"
#include "policy/policy_store.h"

namespace warden::gateway {
namespace {

// Creates an admin and a user key on first start and prints them once.
void create_first_keys(KeyStore& keys, std::ostream& out) {
  if (keys.count_active(Role::kAdmin) > 0 || keys.count_active(Role::kUser) > 0) return;
  auto admin = keys.create({"first-admin", "admins", Role::kAdmin, std::nullopt, std::nullopt});
  auto user = keys.create({"first-user", "default", Role::kUser, std::nullopt, std::nullopt});
  out << "\nFirst start: two API keys were created. They are shown only now; store them safely.\n"
      << "  admin key: " << admin.secret << "\n"
      << "  user key:  " << user.secret << "\n\n";
}

}  // namespace

int run_serve(const core::Config& config, const BackendFactory& make_backend, std::ostream& out) {
  // Block the shutdown signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::filesystem::create_directories(config.state_dir);
  auto database = Database::open(config, true);
  const std::string conninfo = database->runtime_conninfo();  // least privilege from here on
  core::PgPool pool(conninfo, static_cast<size_t>(config.database.pool_size));
  KeyStore keys(pool, core::load_or_create_secret(std::filesystem::path(config.state_dir) / "secrets" / "api_key_hashing_key", 32),
                std::chrono::seconds(config.database.auth_outage_grace_s));
  create_first_keys(keys, out);

  // Audit first: without a writer no request may be served (fail closed).
  AuditSettings audit_settings = load_audit_settings(config);
  std::unique_ptr<audit::AuditWriter> writer = make_audit_writer(audit_settings, conninfo);
  if (audit_settings.demo_reviewer_in_use) {
    out << "Audit records are sealed to a DEMO reviewer key in " << audit_settings.demo_reviewer_prefix.string()
        << ".key on this machine.\nFor real use, make reviewer keys offline (warden audit keygen) and list their .pub files"
        << " under audit.reviewers.\n";
  }

  // Policies: the active versions from the database (seeded from the default file on first
  // start), kept current through LISTEN/NOTIFY.
  policy::PolicyStore policy_store(pool);
  policy::PolicyRegistry policy_registry(policy_store, conninfo);
  auto loaded = policy_registry.start();
  if (!loaded.ok) {
    for (const auto& problem : loaded.problems) core::log_error("policy load failed", {{"problem", problem}});
    out << "The active policies could not be loaded; chat requests are refused until an admin fixes them.\n";
  }

  std::unique_ptr<ChatBackend> backend = make_backend(config, out);

  Metrics metrics;
  register_gateway_metrics(metrics);
  AppDeps deps;
  deps.config = config;
  deps.keys = &keys;
  deps.backend = backend.get();
  deps.metrics = &metrics;
  deps.database_ready = [&pool] { return pool.healthy(); };
  deps.policies = [&policy_registry] { return policy_registry.current(); };
  deps.audit = writer.get();
  deps.audit_conninfo = conninfo;
  deps.trusted_signing_keys = audit_settings.trusted_signing_keys;
  deps.checkpoint_file = audit_settings.checkpoint_file;
  deps.policy_store = &policy_store;
  deps.policy_registry = &policy_registry;
  App app(deps);
  if (backend) {
    metrics.add_gauge("warden_inference_queue_depth", "Requests waiting for the model.", [b = backend.get()] { return b->queue_depth(); });
  }

  HttpServer server(
      config.server, [&app](const HttpRequest& r, std::shared_ptr<Responder> w) { app.handle(r, std::move(w)); },
      [&app](int status) { app.count_early_error(status); });
  server.start();
  metrics.add_gauge("warden_http_connections_open", "Open client connections.", [&server] { return double(server.open_connections()); });
  const std::string base = "http://" + config.server.host + ":" + std::to_string(server.port());
  core::log_info("listening", {{"address", base}, {"model", backend ? backend->model_id() : ""}});
  out << "Warden is serving on " << base << "\n"
      << "  OpenAI SDK base URL: " << base << "/v1\n"
      << "  try: curl " << base << "/v1/chat/completions -H \"Authorization: Bearer $WARDEN_KEY\" "
      << "-H 'Content-Type: application/json' -d '{\"model\":\"" << (backend ? backend->model_id() : "MODEL")
      << "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'\n"
      << "  Ctrl-C stops it.\n"
      << std::flush;

  int received = 0;
  sigwait(&signals, &received);
  core::log_info("shutting down", {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  server.shutdown(std::chrono::milliseconds(config.server.shutdown_grace_ms));
  backend.reset();
  policy_registry.stop();
  writer->close();  // drains the queue and signs a shutdown checkpoint
  database->stop();
  core::log_info("stopped");
  return 0;
}

}  // namespace warden::gateway
