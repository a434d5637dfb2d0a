// One chain per writer: several writers share one database, each chain verifies on its own,
// a record or checkpoint moved to another chain is caught, a second writer with the same
// chain id is held off by the advisory lock (spools, then replays), and records written
// before chains existed (chain "main", version-1 headers and checkpoints) still verify.
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "audit/envelope.h"
#include "audit/spool.h"
#include "audit/store.h"
#include "audit/verifier.h"
#include "audit_fixture.h"
#include "core/migrations.h"

using namespace warden::audit;
using audit_test::Keys;
using audit_test::TempDir;
using warden::core::Json;

namespace {

VerifyReport verify_all(const std::string& db, const Keys& keys, std::vector<Checkpoint> external = {},
                        bool strict = true, std::optional<std::string> chain = std::nullopt) {
  AuditStore store(db);
  VerifyOptions o;
  o.trusted_signing_keys = {keys.signing->public_key()};
  o.external_checkpoints = std::move(external);
  o.strict = strict;
  o.chain = std::move(chain);
  return verify_chain(store, o);
}

void sql(const std::string& db, const std::string& statement) {
  pqxx::connection c{db};
  pqxx::work tx{c};
  tx.exec0(statement);
  tx.commit();
}

std::string record_id(const std::string& db, const std::string& chain, uint64_t seq) {
  pqxx::connection c{db};
  pqxx::read_transaction tx{c};
  return tx.exec1("SELECT record_id FROM audit_records WHERE chain = " + tx.quote(chain) + " AND seq = " +
                  std::to_string(seq))[0]
      .as<std::string>();
}

bool has_problem(const VerifyReport& r, const std::string& chain, const std::string& record, const std::string& fragment) {
  for (const auto& p : r.problems) {
    if (p.chain == chain && (record.empty() || p.record_id == record) && p.what.find(fragment) != std::string::npos) return true;
  }
  return false;
}

// Two writers, chains gw-a and gw-b, 60 records each from concurrent submitters.
struct TwoChains {
  std::string db = audit_test::fresh_database("chains");
  Keys keys;
  TempDir dir_a, dir_b;
  TwoChains() {
    WriterConfig ca = audit_test::writer_config(db, keys, dir_a);
    ca.chain = "gw-a";
    WriterConfig cb = audit_test::writer_config(db, keys, dir_b);
    cb.chain = "gw-b";
    AuditWriter a(ca), b(cb);
    auto submit = [](AuditWriter& w, int base) {
      for (int group = 0; group < 6; ++group) {
        std::vector<std::future<void>> done;
        for (int i = 1; i <= 10; ++i) done.push_back(w.submit(audit_test::sample_record(base + group * 10 + i)));
        for (auto& f : done) f.get();
      }
    };
    std::thread ta([&] { submit(a, 0); });
    std::thread tb([&] { submit(b, 1000); });
    ta.join();
    tb.join();
    a.close();
    b.close();
  }
  std::vector<Checkpoint> exports() const {
    auto all = read_checkpoint_file(dir_a.path / "checkpoints.jsonl");
    for (auto& cp : read_checkpoint_file(dir_b.path / "checkpoints.jsonl")) all.push_back(cp);
    return all;
  }
};

// Records as written before chains existed: version-1 headers, v1 hashes, v1 checkpoints.
struct LegacyChain {
  std::vector<StoredRecord> records;
  Checkpoint checkpoint;
  LegacyChain(const Keys& keys, int count) {
    std::string prev = genesis_hash();
    for (int i = 1; i <= count; ++i) {
      StoredRecord r;
      r.chain = "main";
      r.seq = static_cast<uint64_t>(i);
      r.sealed = seal_record(audit_test::sample_record(i), {keys.alice->public_key()});
      REQUIRE(r.sealed.header.chain.empty());
      REQUIRE(r.sealed.header_text.find("\"chain\"") == std::string::npos);
      r.prev_hash = prev;
      r.hash = compute_record_hash(r.seq, r.prev_hash, r.sealed);
      prev = r.hash;
      records.push_back(std::move(r));
    }
    checkpoint.chain = "main";
    checkpoint.seq = static_cast<uint64_t>(count);
    checkpoint.head_hash = prev;
    checkpoint.time_us = now_us();
    checkpoint.kind = "shutdown";
    checkpoint.signing_key_id = keys.signing->public_key().key_id;
    checkpoint.signature = keys.signing->sign(legacy_checkpoint_message(checkpoint));
  }
};

}  // namespace

TEST_CASE("two writers with their own chains share one database; each chain verifies", "[audit][chains]") {
  TwoChains t;
  VerifyReport r = verify_all(t.db, t.keys, t.exports());
  INFO(r.to_json().dump(2));
  CHECK(r.ok);
  REQUIRE(r.chains.size() == 2);
  CHECK(r.chains[0].chain == "gw-a");
  CHECK(r.chains[1].chain == "gw-b");
  for (const auto& c : r.chains) {
    CHECK(c.records_checked == 60);
    CHECK(c.first_seq == 1);
    CHECK(c.last_seq == 60);
    CHECK(c.attested_seq == 60);
  }
  // Records of the two chains interleave in time: each chain has records between two of the other's.
  pqxx::connection c{t.db};
  pqxx::read_transaction tx{c};
  auto row = tx.exec1(
      "SELECT (SELECT min(time_us) FROM audit_records WHERE chain = 'gw-a') < (SELECT max(time_us) FROM audit_records "
      "WHERE chain = 'gw-b'), (SELECT min(time_us) FROM audit_records WHERE chain = 'gw-b') < (SELECT max(time_us) FROM "
      "audit_records WHERE chain = 'gw-a'), (SELECT count(DISTINCT record_id) FROM audit_records)");
  CHECK(row[0].as<bool>());
  CHECK(row[1].as<bool>());
  CHECK(row[2].as<int>() == 120);
  // Every header names its chain.
  CHECK(tx.exec1("SELECT count(*) FROM audit_records WHERE header NOT LIKE '{\"v\":2,\"chain\":\"' || chain || '\",%'")[0]
            .as<int>() == 0);
  // --chain verifies one.
  VerifyReport only_b = verify_all(t.db, t.keys, t.exports(), true, "gw-b");
  CHECK(only_b.ok);
  REQUIRE(only_b.chains.size() == 1);
  CHECK(only_b.chains[0].chain == "gw-b");
}

TEST_CASE("a record moved to another chain fails verification, naming it", "[audit][chains]") {
  TwoChains t;
  SECTION("one record moved into a chain") {
    std::string id = record_id(t.db, "gw-a", 5);
    sql(t.db, "UPDATE audit_records SET chain = 'gw-c' WHERE chain = 'gw-a' AND seq = 5");
    VerifyReport r = verify_all(t.db, t.keys);
    INFO(r.to_json().dump(2));
    REQUIRE_FALSE(r.ok);
    CHECK(r.problems.front().chain == "gw-a");
    CHECK(r.problems.front().seq == 5);  // missing from its own chain
    CHECK(has_problem(r, "gw-c", id, "was moved: it is stored in chain gw-c but was written to chain gw-a"));
  }
  SECTION("a whole chain renamed, checkpoints and all") {
    std::string id = record_id(t.db, "gw-b", 1);
    sql(t.db, "UPDATE audit_records SET chain = 'gw-x' WHERE chain = 'gw-b'");
    sql(t.db, "UPDATE audit_checkpoints SET chain = 'gw-x' WHERE chain = 'gw-b'");
    VerifyReport r = verify_all(t.db, t.keys);
    INFO(r.to_json().dump(2));
    REQUIRE_FALSE(r.ok);
    CHECK(r.chain("gw-a")->ok);
    CHECK(r.problems.front().chain == "gw-x");
    CHECK(r.problems.front().seq == 1);
    CHECK(r.problems.front().record_id == id);
    CHECK_THAT(r.problems.front().what, Catch::Contains("was moved"));
    CHECK(has_problem(r, "gw-x", "", "signature does not verify"));
  }
}

TEST_CASE("a checkpoint moved to another chain fails verification", "[audit][chains]") {
  TwoChains t;
  sql(t.db, "DELETE FROM audit_checkpoints WHERE chain = 'gw-b' AND seq = 20");
  sql(t.db, "UPDATE audit_checkpoints SET chain = 'gw-b' WHERE chain = 'gw-a' AND seq = 20");
  VerifyReport r = verify_all(t.db, t.keys, {}, false);
  INFO(r.to_json().dump(2));
  REQUIRE_FALSE(r.ok);
  CHECK(r.chain("gw-a")->ok);
  CHECK(r.problems.front().chain == "gw-b");
  CHECK(r.problems.front().seq == 20);
  CHECK_THAT(r.problems.front().what, Catch::Contains("signature does not verify"));
  CHECK_THAT(r.problems.front().what, Catch::Contains("chain gw-b"));
  // The export line carries its chain: moved there, it fails the same way.
  auto moved = read_checkpoint_file(t.dir_a.path / "checkpoints.jsonl");
  for (auto& cp : moved) cp.chain = "gw-b";
  VerifyReport with_moved_export = verify_all(t.db, t.keys, moved, false, "gw-b");
  CHECK(has_problem(with_moved_export, "gw-b", "", "(export): signature does not verify"));
}

TEST_CASE("a second writer with the same chain id is held off by the lock, spools, then replays", "[audit][chains]") {
  std::string db = audit_test::fresh_database("samechain");
  Keys keys;
  TempDir dir1, dir2;
  WriterConfig c1 = audit_test::writer_config(db, keys, dir1);
  c1.chain = "gw-copied";
  WriterConfig c2 = audit_test::writer_config(db, keys, dir2);
  c2.chain = "gw-copied";
  std::mutex log_mu;
  std::vector<std::string> errors;
  c2.log_error = [&](const std::string& line) {
    std::lock_guard lock(log_mu);
    errors.push_back(line);
  };
  auto first = std::make_unique<AuditWriter>(c1);
  for (int i = 1; i <= 15; ++i) first->submit(audit_test::sample_record(i)).get();

  AuditWriter second(c2);
  std::vector<std::future<void>> spooled;
  for (int i = 101; i <= 125; ++i) spooled.push_back(second.submit(audit_test::sample_record(i)));
  for (auto& f : spooled) f.get();  // durable in the spool
  // The first keeps writing meanwhile, so the second's provisional positions are taken.
  for (int i = 16; i <= 30; ++i) first->submit(audit_test::sample_record(i)).get();
  WriterStats held_off = second.stats();
  CHECK(held_off.chain_busy);
  CHECK_FALSE(held_off.chain_locked);
  CHECK(held_off.healthy);
  CHECK(held_off.stored_in_db == 0);
  CHECK(held_off.spooled == 25);
  CHECK_THAT(held_off.last_error, Catch::Contains("audit chain \"gw-copied\" is being written by another process"));
  {
    std::lock_guard lock(log_mu);
    REQUIRE(errors.size() == 1);  // once per episode, not per retry
    CHECK_THAT(errors[0], Catch::Contains("gw-copied"));
  }
  CHECK(first->stats().chain_locked);

  first->close();  // releases the lock
  first.reset();
  for (int i = 0; i < 500 && !second.stats().chain_locked; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 500 && second.stats().replayed < 25; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  WriterStats after = second.stats();
  CHECK(after.chain_locked);
  CHECK_FALSE(after.chain_busy);
  CHECK(after.replayed == 25);
  second.submit(audit_test::sample_record(126)).get();
  second.close();
  CHECK(second.stats().last_seq == 56);
  CHECK(Spool(c2.spool_path).empty());

  pqxx::connection c{db};
  pqxx::read_transaction tx{c};
  auto row = tx.exec1("SELECT count(*), min(seq), max(seq), count(DISTINCT record_id) FROM audit_records");
  CHECK(row[0].as<int>() == 56);
  CHECK(row[1].as<int>() == 1);
  CHECK(row[2].as<int>() == 56);
  CHECK(row[3].as<int>() == 56);
  auto exports = read_checkpoint_file(c1.checkpoint_file);
  for (auto& cp : read_checkpoint_file(c2.checkpoint_file)) exports.push_back(cp);
  VerifyReport r = verify_all(db, keys, exports);
  INFO(r.to_json().dump(2));
  CHECK(r.ok);
  REQUIRE(r.chains.size() == 1);
  CHECK(r.chains[0].attested_seq == 56);
}

TEST_CASE("records and checkpoints from before chains still verify, and an upgraded writer continues them",
          "[audit][chains]") {
  std::string db = audit_test::fresh_database("legacy");
  Keys keys;
  TempDir dir;
  LegacyChain legacy(keys, 12);
  {
    AuditStore store(db);
    store.insert(legacy.records, {legacy.checkpoint});
  }
  VerifyReport before = verify_all(db, keys);
  INFO(before.to_json().dump(2));
  CHECK(before.ok);
  REQUIRE(before.chains.size() == 1);
  CHECK(before.chains[0].chain == "main");
  CHECK(before.chains[0].attested_seq == 12);

  // An old spool entry (no "chain" key) is a chain-main record.
  Json old_entry = stored_record_to_json(legacy.records[0]);
  Json without_chain = Json::object();
  for (const auto& [k, v] : old_entry.as_object()) {
    if (k != "chain") without_chain.set(k, v);
  }
  CHECK(stored_record_from_json(without_chain).chain == "main");

  WriterConfig config = audit_test::writer_config(db, keys, dir);
  config.chain = "main";
  {
    AuditWriter writer(config);
    for (int i = 13; i <= 20; ++i) writer.submit(audit_test::sample_record(i)).get();
    writer.close();
    CHECK(writer.stats().last_seq == 20);
  }
  VerifyReport mixed = verify_all(db, keys, read_checkpoint_file(config.checkpoint_file));
  INFO(mixed.to_json().dump(2));
  CHECK(mixed.ok);
  CHECK(mixed.chains[0].attested_seq == 20);

  SECTION("a version-1 record moved to another chain is caught") {
    std::string id = record_id(db, "main", 3);
    sql(db, "UPDATE audit_records SET chain = 'gw-z' WHERE chain = 'main' AND seq = 3");
    VerifyReport r = verify_all(db, keys, {}, false);
    CHECK(has_problem(r, "gw-z", id, "was written to chain main"));
  }
  SECTION("a version-1 checkpoint is accepted only for chain main") {
    sql(db, "UPDATE audit_checkpoints SET chain = 'gw-z' WHERE chain = 'main' AND seq = 12");
    VerifyReport r = verify_all(db, keys, {}, false);
    CHECK(has_problem(r, "gw-z", "", "signature does not verify"));
  }
}

TEST_CASE("a database migrated from before chains keeps its rows verifiable as chain main", "[audit][chains]") {
  // The schema as it was before 0004, with rows written in the old format, then the upgrade.
  TempDir old_migrations;
  const std::filesystem::path all = std::filesystem::path(WARDEN_SOURCE_DIR) / "migrations";
  for (const char* name : {"0001_init.sql", "0002_audit.sql", "0003_policies.sql"}) {
    std::filesystem::copy_file(all / name, old_migrations.path / name);
  }
  audit_test::cluster().create_database("before_chains");
  const std::string db = audit_test::cluster().conninfo("before_chains");
  Keys keys;
  LegacyChain legacy(keys, 7);
  {
    pqxx::connection c{db};
    warden::core::apply_migrations(c, old_migrations.path);
    pqxx::work tx{c};
    for (const auto& r : legacy.records) {
      const AuditHeader& h = r.sealed.header;
      std::string types = "{";
      for (const auto& [type, n] : h.entity_counts) types += (types.size() > 1 ? "," : "") + type;
      types += "}";
      tx.exec_params(
          "INSERT INTO audit_records (seq, record_id, time_us, recorded_at, kind, action, key_id, team, role, route, model, "
          "policy_name, policy_version, decision, entity_types, http_status, header, nonce, ciphertext, sealed_keys, "
          "prev_hash, hash) VALUES ($1, $2, $3::bigint, to_timestamp($3::bigint / 1000000.0), $4, $5, $6, $7, $8, $9, $10, "
          "$11, $12, $13, $14::text[], $15, $16, $17, $18, $19, $20, $21)",
          r.seq, h.record_id, h.time_us, h.kind, h.action, h.key_id, h.team, h.role, h.route, h.model, h.policy_name,
          h.policy_version, h.decision, types, h.http_status, r.sealed.header_text, pqxx::binarystring(r.sealed.nonce),
          pqxx::binarystring(r.sealed.ciphertext), sealed_keys_text(r.sealed.sealed_keys), pqxx::binarystring(r.prev_hash),
          pqxx::binarystring(r.hash));
    }
    const Checkpoint& cp = legacy.checkpoint;
    tx.exec_params("INSERT INTO audit_checkpoints (seq, kind, head_hash, time_us, signing_key_id, signature) VALUES "
                   "($1, $2, $3, $4, $5, $6)",
                   cp.seq, cp.kind, pqxx::binarystring(cp.head_hash), cp.time_us, cp.signing_key_id,
                   pqxx::binarystring(cp.signature));
    tx.commit();
    auto applied = warden::core::apply_migrations(c, all);
    CHECK(std::find(applied.begin(), applied.end(), "0004_audit_chains.sql") != applied.end());
  }
  VerifyReport r = verify_all(db, keys);
  INFO(r.to_json().dump(2));
  CHECK(r.ok);
  REQUIRE(r.chains.size() == 1);
  CHECK(r.chains[0].chain == "main");
  CHECK(r.chains[0].records_checked == 7);
  CHECK(r.chains[0].attested_seq == 7);
  // The gateway role still may only insert and read.
  pqxx::connection c{db + " user=warden_gateway"};
  pqxx::work tx{c};
  CHECK_THROWS_AS(tx.exec0("UPDATE audit_records SET chain = 'x'"), pqxx::insufficient_privilege);
}

TEST_CASE("prune keeps every chain verifiable with a signed marker per chain", "[audit][chains]") {
  TwoChains t;
  int64_t cut;
  {
    pqxx::connection c{t.db};
    pqxx::read_transaction tx{c};
    cut = tx.exec1("SELECT time_us FROM audit_records WHERE chain = 'gw-a' AND seq = 31")[0].as<int64_t>();
  }
  AuditStore store(t.db);
  uint64_t deleted = store.prune_before(cut, *t.keys.signing);
  CHECK(deleted >= 30);
  VerifyReport r = verify_all(t.db, t.keys);
  INFO(r.to_json().dump(2));
  CHECK(r.ok);
  REQUIRE(r.chains.size() == 2);
  for (const auto& chain : {"gw-a", "gw-b"}) {
    bool has_marker = false;
    for (const auto& cp : store.checkpoints(std::string(chain))) has_marker |= cp.kind == "prune";
    CHECK(has_marker);
  }
  CHECK(r.chain("gw-a")->first_seq == 31);

  SECTION("a writer whose chain was pruned to nothing continues after the marker") {
    CHECK(store.prune_before(now_us() + 1000000, *t.keys.signing) > 0);
    WriterConfig c = audit_test::writer_config(t.db, t.keys, t.dir_a);
    c.chain = "gw-a";
    AuditWriter writer(c);
    writer.submit(audit_test::sample_record(500)).get();
    writer.close();
    CHECK(writer.stats().last_seq == 61);
    VerifyReport after = verify_all(t.db, t.keys);
    INFO(after.to_json().dump(2));
    CHECK(after.ok);
  }
}

TEST_CASE("spooled records of another chain are replayed into that chain, under its lock", "[audit][chains]") {
  std::string db = audit_test::fresh_database("foreign");
  Keys keys;
  TempDir dir;
  LegacyChain legacy(keys, 5);  // spooled by this gateway before it had a chain of its own
  WriterConfig config = audit_test::writer_config(db, keys, dir);
  config.chain = "gw-new";
  {
    Spool spool(config.spool_path);
    spool.append(legacy.records, {legacy.checkpoint});
  }
  AuditStore other(db);
  REQUIRE(other.try_lock_chain("main"));  // another process writes chain main right now
  {
    AuditWriter writer(config);
    for (int i = 1; i <= 3; ++i) writer.submit(audit_test::sample_record(100 + i)).get();
    writer.close();
    CHECK(writer.stats().stored_in_db == 3);  // its own chain is not held up
    Spool left(config.spool_path);
    CHECK(left.read_all().records.size() == 5);  // main's records wait for main's lock
  }
  other.unlock_chain("main");
  {
    AuditWriter restarted(config);
    restarted.close();
    CHECK(restarted.stats().replayed == 5);
  }
  CHECK(Spool(config.spool_path).empty());
  VerifyReport r = verify_all(db, keys, read_checkpoint_file(config.checkpoint_file));
  INFO(r.to_json().dump(2));
  CHECK(r.ok);
  REQUIRE(r.chains.size() == 2);
  CHECK(r.chain("main")->records_checked == 5);
  CHECK(r.chain("main")->attested_seq == 5);
  CHECK(r.chain("gw-new")->records_checked == 3);
}
