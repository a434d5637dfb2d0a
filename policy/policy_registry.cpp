#include "policy/policy_registry.h"

#include <optional>

#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/log.h"
#include "core/migrations.h"
#include "core/yaml.h"

namespace warden::policy {
namespace {

using core::Json;
namespace fs = std::filesystem;

constexpr const char* kChannel = "warden_policies";
constexpr auto kNotificationWait = std::chrono::milliseconds(200);

// Sets a flag for each NOTIFY; the watcher reloads once however many arrived.
class NotificationFlag : public pqxx::notification_receiver {
 public:
  NotificationFlag(pqxx::connection_base& conn, bool& flag) : pqxx::notification_receiver(conn, kChannel), flag_(flag) {}
  void operator()(const std::string&, int) override { flag_ = true; }

 private:
  bool& flag_;
};

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the fallback policy file " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string describe(const std::vector<PolicyIdentity>& active) {
  std::string out;
  for (const auto& id : active) out += (out.empty() ? "" : ", ") + id.name + "@" + std::to_string(id.version);
  return out;
}

}  // namespace

// The watcher's own connection, LISTENing on warden_policies.
struct PolicyRegistry::Listener {
  pqxx::connection conn;
  bool notified = false;
  NotificationFlag receiver;
  explicit Listener(const std::string& conninfo) : conn(conninfo), receiver(conn, notified) {}
};

std::string default_policy_file() {
  if (const char* env = std::getenv("WARDEN_DEFAULT_POLICY")) return env;
  const fs::path relative = fs::path("policy") / "defaults" / "default.yaml";
  if (fs::is_regular_file(relative)) return fs::absolute(relative).string();
  // The Warden tree the migrations come from holds the defaults too.
  const fs::path beside_migrations = core::default_migrations_dir().parent_path() / relative;
  if (fs::is_regular_file(beside_migrations)) return beside_migrations.string();
  return relative.string();
}

PolicyRegistry::PolicyRegistry(PolicyStore& store, std::string listen_conninfo)
    : PolicyRegistry(store, std::move(listen_conninfo), Options{}) {}

PolicyRegistry::PolicyRegistry(PolicyStore& store, std::string listen_conninfo, Options options)
    : store_(store), listen_conninfo_(std::move(listen_conninfo)), options_(std::move(options)) {
  if (options_.fallback_file.empty()) options_.fallback_file = default_policy_file();
  fallback_source_ = read_text_file(options_.fallback_file);
  Json document;
  try {
    document = parse_policy_source(fallback_source_);
  } catch (const PolicyError& e) {
    throw PolicyError({options_.fallback_file + ": " + e.what()});
  }
  const std::string base_dir = fs::path(options_.fallback_file).parent_path().string();
  fallback_ = CompiledPolicy::compile(canonical_policy_document(document), {kFallbackPolicyName, 0}, base_dir,
                                      store_.options().hash_key_resolver);
}

PolicyRegistry::~PolicyRegistry() { stop(); }

void PolicyRegistry::on_reload(std::function<void(const PolicySet&)> callback) {
  std::lock_guard lock(reload_mutex_);
  on_reload_.push_back(std::move(callback));
}

void PolicyRegistry::on_reload_failed(std::function<void(const std::vector<std::string>&)> callback) {
  std::lock_guard lock(reload_mutex_);
  on_failed_.push_back(std::move(callback));
}

PolicyRegistry::ReloadResult PolicyRegistry::start() {
  std::vector<std::string> seed_problems;
  if (options_.seed_when_empty) {
    try {
      if (store_.seed_if_empty(options_.seed_name, fallback_source_, "system",
                               "seeded from " + fs::path(options_.fallback_file).filename().string())) {
        core::log_info("policy store was empty: seeded", {{"policy", options_.seed_name}, {"version", 1}});
      }
    } catch (const PolicyError& e) {
      for (const auto& p : e.problems()) seed_problems.push_back("seed " + options_.seed_name + ": " + p);
    } catch (const std::exception& e) {
      seed_problems.push_back(std::string("seed ") + options_.seed_name + ": " + e.what());
    }
  }
  // LISTEN before the first load: a change committed in between is then either in the
  // load or in a notification, never lost.
  std::unique_ptr<Listener> listener;
  try {
    listener = std::make_unique<Listener>(listen_conninfo_);
    listening_ = true;
  } catch (const std::exception& e) {
    core::log_warn("policy watcher cannot connect to the database yet; retrying", {{"error", e.what()}});
  }
  ReloadResult result = reload(true);
  result.problems.insert(result.problems.begin(), seed_problems.begin(), seed_problems.end());
  if (!seed_problems.empty()) core::log_error("seeding the policy store failed", {{"problems", Json(seed_problems.front())}});
  if (!watcher_.joinable()) {
    stopping_ = false;
    watcher_ = std::thread([this, l = std::move(listener)]() mutable { watch(std::move(l)); });
  }
  return result;
}

void PolicyRegistry::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

PolicyRegistry::ReloadResult PolicyRegistry::reload(bool force) {
  std::lock_guard lock(reload_mutex_);
  ReloadResult result;
  auto loaded_identities = [&] {
    std::vector<PolicyIdentity> ids;
    for (const auto& l : loaded_) ids.push_back(l.identity);
    return ids;
  };
  auto fail = [&](std::vector<std::string> problems) {
    result.ok = false;
    result.problems = std::move(problems);
    result.active = loaded_identities();
    Json list = Json::array();
    for (const auto& p : result.problems) list.push_back(p);
    core::log_error("policy reload failed; the previous policies stay in force",
                    {{"problems", list}, {"serving", describe(result.active)}});
    for (const auto& callback : on_failed_) callback(result.problems);
    return result;
  };

  std::vector<ActiveDocument> documents;
  try {
    try {
      documents = store_.active_documents();
    } catch (const pqxx::broken_connection&) {
      documents = store_.active_documents();  // the pool hands out a fresh connection now
    }
  } catch (const std::exception& e) {
    return fail({std::string("database: ") + e.what()});
  }
  auto same_as_loaded = [&](const ActiveDocument& d) -> const Loaded* {
    for (const auto& l : loaded_) {
      if (l.identity.name == d.identity.name && l.identity.version == d.identity.version &&
          l.content_hash == d.content_hash) {
        return &l;
      }
    }
    return nullptr;
  };
  bool unchanged = current() && documents.size() == loaded_.size();
  for (const auto& d : documents) unchanged = unchanged && same_as_loaded(d);
  if (!force && unchanged) {
    result.ok = true;
    result.active = loaded_identities();
    return result;
  }

  std::vector<Loaded> next;
  std::vector<std::string> problems;
  for (const auto& d : documents) {
    if (const Loaded* kept = force ? nullptr : same_as_loaded(d)) {
      next.push_back(*kept);
      continue;
    }
    const std::string prefix = "policy \"" + d.identity.name + "\" version " + std::to_string(d.identity.version) + ": ";
    try {
      next.push_back({d.identity, d.content_hash, store_.compile(d.document, d.identity)});
    } catch (const PolicyError& e) {
      for (const auto& p : e.problems()) problems.push_back(prefix + p);
    } catch (const std::exception& e) {
      problems.push_back(prefix + e.what());
    }
  }
  if (!problems.empty()) return fail(std::move(problems));

  std::vector<std::shared_ptr<const CompiledPolicy>> compiled;
  for (const auto& l : next) compiled.push_back(l.compiled);
  auto set = std::make_shared<const PolicySet>(std::move(compiled), fallback_);
  current_.store(set, std::memory_order_release);
  loaded_ = std::move(next);
  ++reloads_;
  result.ok = true;
  result.changed = true;
  result.active = loaded_identities();
  core::log_info("policies loaded", {{"active", describe(result.active)}});
  for (const auto& callback : on_reload_) callback(*set);
  return result;
}

void PolicyRegistry::watch(std::unique_ptr<Listener> listener) {
  auto last_poll = std::chrono::steady_clock::now();
  while (!stopping_) {
    try {
      if (!listener) {
        listener = std::make_unique<Listener>(listen_conninfo_);
        listening_ = true;
        core::log_info("policy watcher connected to the database");
        reload();  // notifications sent while nobody listened are lost: catch up
      }
      // A notification can arrive before the activating transaction is visible to a new
      // snapshot on another connection, so a reload that found nothing new is repeated once
      // shortly after.
      std::optional<std::chrono::steady_clock::time_point> recheck_at;
      while (!stopping_) {
        listener->conn.await_notification(
            0, std::chrono::duration_cast<std::chrono::microseconds>(kNotificationWait).count());
        if (listener->notified) {
          listener->notified = false;
          if (!reload().changed) recheck_at = std::chrono::steady_clock::now() + kNotificationWait;
        } else if (recheck_at && std::chrono::steady_clock::now() >= *recheck_at) {
          recheck_at.reset();
          reload();
        }
        if (std::chrono::steady_clock::now() - last_poll >= options_.poll_interval) {
          last_poll = std::chrono::steady_clock::now();
          pqxx::nontransaction(listener->conn).exec("SELECT 1");  // a dead LISTEN connection throws here
          reload();
        }
      }
    } catch (const std::exception& e) {
      listener.reset();
      if (listening_.exchange(false)) {
        core::log_warn("policy watcher lost its database connection; retrying", {{"error", e.what()}});
      }
      std::unique_lock lock(stop_mutex_);
      stop_cv_.wait_for(lock, options_.reconnect_delay, [&] { return stopping_.load(); });
    }
  }
  listening_ = false;
}

}  // namespace warden::policy
