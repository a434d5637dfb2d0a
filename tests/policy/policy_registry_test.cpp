// The registry: seeding, atomic swaps, NOTIFY between two registries on one database, a
// failing compile keeping the old snapshot, and the watcher surviving a database restart.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "core/migrations.h"
#include "core/pg_pool.h"
#include "policy/policy_registry.h"
#include "store_fixture.h"

using namespace warden;
using policy::PolicyRegistry;
using policy::PolicyStore;
using Clock = std::chrono::steady_clock;

namespace {

std::string as_gateway(const std::string& conninfo) { return conninfo + " user=warden_gateway"; }

// The version of `name` a snapshot serves, or 0.
int64_t serving(const std::shared_ptr<const policy::PolicySet>& set, const std::string& name) {
  if (!set) return 0;
  for (const auto& p : set->active()) {
    if (p->identity().name == name) return p->identity().version;
  }
  return 0;
}

// Waits up to `limit` until `registry` serves name@version; returns how long it took.
std::chrono::milliseconds wait_for_version(const PolicyRegistry& registry, const std::string& name, int64_t version,
                                           std::chrono::milliseconds limit) {
  auto start = Clock::now();
  while (serving(registry.current(), name) != version && Clock::now() - start < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

PolicyRegistry::Options notify_only() {
  PolicyRegistry::Options o;
  o.poll_interval = std::chrono::minutes(10);  // only NOTIFY can explain a quick pick-up
  o.reconnect_delay = std::chrono::milliseconds(100);
  return o;
}

}  // namespace

TEST_CASE("a registry seeds an empty store with the default policy and serves it", "[policy_registry]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);
  PolicyRegistry registry(store, as_gateway(db), notify_only());
  CHECK(registry.fallback()->identity().name == policy::kFallbackPolicyName);
  CHECK(registry.fallback()->identity().version == 0);
  CHECK(registry.current() == nullptr);

  auto result = registry.start();
  CHECK(result.ok);
  CHECK(result.changed);
  REQUIRE(result.active.size() == 1);
  CHECK(result.active[0].name == "default");
  CHECK(result.active[0].version == 1);
  CHECK(serving(registry.current(), "default") == 1);
  // The seeded default binds everyone, so nobody falls through to the unstored fallback.
  auto chosen = registry.current()->select({"key_x", "some-team", "user"});
  CHECK(chosen->identity().name == "default");
  CHECK(chosen->identity().version == 1);

  auto version = store.get("default", 1);
  CHECK(version.info.author == "system");
  CHECK(version.info.active);
  std::ifstream file(policy::default_policy_file());
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  CHECK(version.source == text);

  // A second gateway starting on the same database does not seed again.
  PolicyRegistry second(store, as_gateway(db), notify_only());
  CHECK(second.start().ok);
  CHECK(store.versions("default").size() == 1);
  CHECK(store.history("default").size() == 1);
}

TEST_CASE("two registries on one database: an activation through one is served by the other within 1 s",
          "[policy_registry]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool_a(as_gateway(db), 2);
  core::PgPool pool_b(as_gateway(db), 2);
  PolicyStore store_a(pool_a);
  PolicyStore store_b(pool_b);
  PolicyRegistry a(store_a, as_gateway(db), notify_only());
  PolicyRegistry b(store_b, as_gateway(db), notify_only());
  int b_reloads_seen = 0;
  b.on_reload([&](const policy::PolicySet&) { ++b_reloads_seen; });
  REQUIRE(a.start().ok);
  REQUIRE(b.start().ok);
  for (int i = 0; i < 100 && !(a.watching() && b.watching()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(a.watching());
  REQUIRE(b.watching());

  // Version 1 compiles in about a millisecond (no PII detectors), so its pick-up time is
  // the propagation itself; version 2 has the default redaction, whose compile (here
  // 150-350 ms, done by each registry) comes on top.
  store_a.save("research", store_test::research_policy("salary"), "key_alice");
  store_a.save("research", store_test::research_policy("salary, bonus", "research policy", true), "key_alice");

  auto pinned = b.current();  // a request in flight on gateway B
  store_a.activate("research", 1, "key_alice");
  auto took = wait_for_version(b, "research", 1, std::chrono::seconds(3));
  CHECK(serving(b.current(), "research") == 1);
  CHECK(took < std::chrono::milliseconds(1000));
  std::printf("registry B served research@1 %lld ms after the activation through A\n", static_cast<long long>(took.count()));
  CHECK(serving(pinned, "research") == 0);  // what a request pinned before stays as it was

  store_a.activate("research", 2, "key_alice");
  took = wait_for_version(b, "research", 2, std::chrono::seconds(5));
  CHECK(serving(b.current(), "research") == 2);
  CHECK(took < std::chrono::milliseconds(3000));  // polling is off: only NOTIFY explains this
  std::printf("registry B served research@2 (default redaction, compiled on arrival) %lld ms after its activation\n",
              static_cast<long long>(took.count()));
  store_b.rollback("research", "key_bob");
  took = wait_for_version(a, "research", 1, std::chrono::seconds(3));
  CHECK(serving(a.current(), "research") == 1);
  CHECK(took < std::chrono::milliseconds(1000));
  std::printf("registry A served the rollback to research@1 %lld ms after it was made through B\n",
              static_cast<long long>(took.count()));
  CHECK(b_reloads_seen >= 3);

  // Policies bind as documented: team research gets research, others the seeded default.
  auto set = b.current();
  CHECK(set->select({"k", "research", "user"})->identity().name == "research");
  CHECK(set->select({"k", "legal", "user"})->identity().name == "default");
}

TEST_CASE("a reload that fails to compile keeps the previous snapshot", "[policy_registry]") {
  // An admin host where the dictionary file exists and a gateway host where it does not:
  // the version is valid where it was saved and activated, and fails to compile here.
  const std::string db = store_test::fresh_database();
  store_test::TempDir admin_dir;
  store_test::TempDir gateway_dir;
  {
    std::ofstream names(admin_dir.path / "codenames.txt");
    names << "Bluebird\nNightjar\n";
  }
  core::PgPool admin_pool(as_gateway(db), 1);
  core::PgPool gateway_pool(as_gateway(db), 2);
  PolicyStore::Options admin_options;
  admin_options.base_dir = admin_dir.path.string();
  PolicyStore admin_store(admin_pool, admin_options);
  PolicyStore::Options gateway_options;
  gateway_options.base_dir = gateway_dir.path.string();
  PolicyStore gateway_store(gateway_pool, gateway_options);

  const std::string with_dictionary =
      "bindings: {teams: [legal]}\n"
      "redaction:\n"
      "  custom:\n"
      "    - name: CODENAME\n"
      "      dictionary_file: codenames.txt\n"
      "      action: mask\n";
  admin_store.save("research", store_test::research_policy("salary"), "key_alice");
  admin_store.activate("research", 1, "key_alice");
  admin_store.save("legal", with_dictionary, "key_alice");

  PolicyRegistry registry(gateway_store, as_gateway(db), notify_only());
  std::vector<std::string> failures;
  registry.on_reload_failed([&](const std::vector<std::string>& problems) { failures = problems; });
  REQUIRE(registry.start().ok);
  auto before = registry.current();
  REQUIRE(serving(before, "research") == 1);
  const uint64_t swaps = registry.reload_count();

  admin_store.activate("legal", 1, "key_alice");
  auto result = registry.reload();
  CHECK_FALSE(result.ok);
  CHECK_FALSE(result.changed);
  REQUIRE_FALSE(result.problems.empty());
  CHECK(result.problems[0].find("policy \"legal\" version 1: redaction.custom[0].dictionary_file") == 0);
  CHECK(result.problems[0].find("codenames.txt") != std::string::npos);
  CHECK(failures == result.problems);
  CHECK(registry.current() == before);
  CHECK(serving(registry.current(), "legal") == 0);
  CHECK(registry.reload_count() == swaps);
  REQUIRE(result.active.size() == 1);
  CHECK(result.active[0].name == "research");
  // The watcher's own reload (from the NOTIFY) fails the same way and changes nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(registry.current() == before);

  // The file arrives on this host: the next reload installs legal and keeps the compiled
  // research policy (same version, same content) as it was.
  std::filesystem::copy_file(admin_dir.path / "codenames.txt", gateway_dir.path / "codenames.txt");
  result = registry.reload();
  CHECK(result.ok);
  CHECK(result.changed);
  auto after = registry.current();
  CHECK(serving(after, "legal") == 1);
  CHECK(serving(after, "research") == 1);
  auto research_of = [](const std::shared_ptr<const policy::PolicySet>& set) {
    for (const auto& p : set->active()) {
      if (p->identity().name == "research") return p;
    }
    return std::shared_ptr<const policy::CompiledPolicy>();
  };
  CHECK(research_of(after) == research_of(before));

  // A forced reload compiles everything again; without the file it fails and keeps `after`.
  std::filesystem::remove(gateway_dir.path / "codenames.txt");
  CHECK_FALSE(registry.reload(true).ok);
  CHECK(registry.current() == after);
  CHECK_FALSE(registry.reload().changed);  // nothing changed in the store: no compile, no swap
  CHECK(registry.current() == after);
}

TEST_CASE("the watcher reconnects after the database restarts and catches up", "[policy_registry]") {
  auto pg = core::EmbeddedPostgres::temporary(/*fsync=*/true);  // survives kill_hard
  pg->create_database("warden");
  const std::string db = pg->conninfo("warden");
  {
    pqxx::connection c{db};
    core::apply_migrations(c, std::filesystem::path(WARDEN_SOURCE_DIR) / "migrations");
  }
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);
  // No polling: noticing the dead connection, reconnecting, catching up and listening
  // again must all come from the watcher itself.
  PolicyRegistry registry(store, as_gateway(db), notify_only());
  REQUIRE(registry.start().ok);
  store.save("research", store_test::research_policy("salary"), "key_alice");

  pg->kill_hard();
  pg->start();
  // Activated while the watcher may still be disconnected: the NOTIFY can be lost, the
  // catch-up reload after reconnecting (or the poll) must still find it.
  core::PgPool direct_pool(as_gateway(db), 1);
  PolicyStore direct_store(direct_pool);
  direct_store.activate("research", 1, "key_alice");
  auto took = wait_for_version(registry, "research", 1, std::chrono::seconds(10));
  CHECK(serving(registry.current(), "research") == 1);
  std::printf("after a database restart the registry served the new activation after %lld ms\n",
              static_cast<long long>(took.count()));
  for (int i = 0; i < 500 && !registry.watching(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(registry.watching());

  // And NOTIFY works again on the new connection.
  direct_store.save("research", store_test::research_policy("salary, bonus"), "key_alice");
  direct_store.activate("research", 2, "key_alice");
  took = wait_for_version(registry, "research", 2, std::chrono::seconds(2));
  CHECK(took < std::chrono::milliseconds(1000));
  registry.stop();
}

TEST_CASE("readers pinning snapshots while versions are activated repeatedly see whole snapshots", "[policy_registry]") {
  const std::string db = store_test::fresh_database();
  core::PgPool pool(as_gateway(db), 2);
  PolicyStore store(pool);
  // Each version names itself in its description: a snapshot is consistent when the
  // compiled document of research@N says "vN".
  store.save("research", store_test::research_policy("salary", "v1"), "key_alice");
  store.save("research", store_test::research_policy("salary, bonus", "v2"), "key_alice");
  store.activate("research", 1, "key_alice");
  PolicyRegistry registry(store, as_gateway(db), notify_only());
  REQUIRE(registry.start().ok);

  std::atomic<bool> done{false};
  std::atomic<int64_t> reads{0}, inconsistent{0}, seen_v1{0}, seen_v2{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        auto set = registry.current();  // what one request pins
        auto p = set ? set->select({"k", "research", "user"}) : nullptr;
        if (!p || p->identity().name != "research") {
          ++inconsistent;
          continue;
        }
        const int64_t v = p->identity().version;
        if (p->document().at("description").as_string() != "v" + std::to_string(v)) ++inconsistent;
        (v == 1 ? seen_v1 : seen_v2)++;
        ++reads;
        if (reads % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));  // two cores: leave room
      }
    });
  }
  for (int i = 0; i < 10; ++i) {
    const int64_t version = i % 2 ? 1 : 2;
    store.activate("research", version, "key_alice");
    wait_for_version(registry, "research", version, std::chrono::seconds(5));
    CHECK(serving(registry.current(), "research") == version);
  }
  done = true;
  for (auto& r : readers) r.join();
  CHECK(inconsistent == 0);
  CHECK(seen_v1 > 0);
  CHECK(seen_v2 > 0);
  CHECK(registry.reload_count() >= 11);
  std::printf("%lld snapshot reads by 3 threads during 10 activations\n", static_cast<long long>(reads.load()));
}
