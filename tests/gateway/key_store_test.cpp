// KeyStore against a real PostgreSQL that goes away and comes back: keys verified shortly
// before keep working through the outage, others get KeyStoreUnavailable, revocation and
// the grace window are honoured, and a connection cut by a restart is replaced at once.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>
#include <thread>

#include "core/embedded_pg.h"
#include "core/migrations.h"
#include "core/pg_pool.h"
#include "gateway/key_store.h"

using namespace warden;
using gateway::KeyStore;
using gateway::KeyStoreUnavailable;
using gateway::Principal;

namespace {

bool accepted(const KeyStore& keys, const std::string& secret) {
  auto result = keys.authenticate(secret);
  return std::holds_alternative<Principal>(result);
}

}  // namespace

TEST_CASE("API keys through a database outage") {
  auto pg = core::EmbeddedPostgres::temporary();
  pg->create_database("keys");
  {
    pqxx::connection conn(pg->conninfo("keys"));
    core::apply_migrations(conn, std::string(WARDEN_SOURCE_DIR) + "/migrations");
  }
  core::PgPool pool(pg->conninfo("keys"), 2);
  KeyStore keys(pool, std::string(32, 'k'), std::chrono::seconds(2));
  KeyStore strict(pool, std::string(32, 'k'), std::chrono::seconds(0));

  const std::string seen = keys.create({"seen", "team-a", gateway::Role::kUser, std::nullopt, std::nullopt}).secret;
  const std::string unseen = keys.create({"unseen", "team-a", gateway::Role::kUser, std::nullopt, std::nullopt}).secret;
  const std::string revoked = keys.create({"revoked", "team-a", gateway::Role::kUser, std::nullopt, std::nullopt}).secret;
  REQUIRE(accepted(keys, seen));
  REQUIRE(accepted(strict, seen));
  REQUIRE(accepted(keys, revoked));
  REQUIRE(keys.revoke(revoked.substr(4, 12)));
  std::string forged = seen;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';

  pg->stop();
  // Remembered: the same key, with the principal the database gave.
  auto during = keys.authenticate(seen);
  REQUIRE(std::holds_alternative<Principal>(during));
  CHECK(std::get<Principal>(during).team == "team-a");
  CHECK(keys.outage_authentications() == 1);
  // Not remembered, revoked, forged (right id, wrong secret), or no grace configured.
  CHECK_THROWS_AS(keys.authenticate(unseen), KeyStoreUnavailable);
  CHECK_THROWS_AS(keys.authenticate(revoked), KeyStoreUnavailable);
  CHECK_THROWS_AS(keys.authenticate(forged), KeyStoreUnavailable);
  CHECK_THROWS_AS(strict.authenticate(seen), KeyStoreUnavailable);
  // Malformed keys are refused without asking anyone.
  CHECK(std::holds_alternative<KeyStore::Refusal>(keys.authenticate("wdn_nothex")));
  try {
    keys.authenticate(unseen);
  } catch (const KeyStoreUnavailable& e) {
    CHECK(std::string(e.what()).find(unseen.substr(17)) == std::string::npos);  // no secret in the message
  }
  // The grace window is measured from the last verification.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  CHECK_THROWS_AS(keys.authenticate(seen), KeyStoreUnavailable);

  pg->start();
  // The pooled connections were cut by the restart: the next call reconnects, no error.
  CHECK(accepted(keys, seen));
  CHECK(accepted(strict, unseen));
  CHECK_FALSE(accepted(keys, revoked));
  CHECK_FALSE(accepted(keys, forged));
}
