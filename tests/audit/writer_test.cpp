// Writer: concurrent submitters, linear chain, restart continuation, the gateway role's
// rights, key rotation, bounded lag, and the reader API over what was written.
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "audit/reader.h"
#include "audit/store.h"
#include "audit/verifier.h"
#include "audit_fixture.h"

using namespace warden::audit;
using audit_test::Keys;
using audit_test::TempDir;

namespace {

VerifyReport verify_with(const std::string& db, std::vector<SigningPublicKey> trusted, bool strict = true) {
  AuditStore store(db);
  VerifyOptions o;
  o.trusted_signing_keys = std::move(trusted);
  o.strict = strict;
  return verify_chain(store, o);
}

}  // namespace

TEST_CASE("concurrent submitters get one linear chain and every record durable", "[audit][writer]") {
  std::string db = audit_test::fresh_database();
  Keys keys;
  TempDir dir;
  AuditWriter writer(audit_test::writer_config(db, keys, dir));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<void>> done;
      for (int i = 0; i < 50; ++i) done.push_back(writer.submit(audit_test::sample_record(t * 1000 + i)));
      for (auto& f : done) f.get();
    });
  }
  for (auto& th : threads) th.join();
  // Durable means visible to a fresh connection right now.
  {
    pqxx::connection c{db};
    pqxx::read_transaction tx{c};
    auto row = tx.exec1("SELECT count(*), min(seq), max(seq) FROM audit_records");
    CHECK(row[0].as<int>() == 200);
    CHECK(row[1].as<int>() == 1);
    CHECK(row[2].as<int>() == 200);
  }
  writer.close();
  WriterStats s = writer.stats();
  CHECK(s.submitted == 200);
  CHECK(s.stored_in_db == 200);
  CHECK(s.checkpoints >= 2);
  VerifyReport r = verify_with(db, {keys.signing->public_key()});
  INFO(r.to_json().dump(2));
  CHECK(r.ok);
  REQUIRE(r.chains.size() == 1);
  CHECK(r.chains[0].attested_seq == 200);

  SECTION("a restarted writer continues the chain") {
    AuditWriter again(audit_test::writer_config(db, keys, dir));
    again.submit(audit_test::sample_record(5000)).get();
    again.close();
    CHECK(again.stats().last_seq == 201);
    CHECK(verify_with(db, {keys.signing->public_key()}).ok);
  }
}

TEST_CASE("the gateway role can insert and read audit rows but not change them", "[audit][writer]") {
  std::string db = audit_test::fresh_database();
  Keys keys;
  TempDir dir;
  std::string as_gateway = db + " user=warden_gateway";
  {
    AuditWriter writer(audit_test::writer_config(as_gateway, keys, dir));
    for (int i = 1; i <= 5; ++i) writer.submit(audit_test::sample_record(i)).get();
    writer.close();
    CHECK(writer.stats().stored_in_db == 5);
  }
  pqxx::connection c{as_gateway};
  for (const char* statement : {"UPDATE audit_records SET decision = 'allowed' WHERE seq = 1",
                                "DELETE FROM audit_records WHERE seq = 5", "TRUNCATE audit_records",
                                "DELETE FROM audit_checkpoints", "UPDATE audit_checkpoints SET seq = 1"}) {
    pqxx::work tx{c};
    CHECK_THROWS_AS(tx.exec0(statement), pqxx::insufficient_privilege);
  }
  CHECK(verify_with(db, {keys.signing->public_key()}).ok);
}

TEST_CASE("key rotation keeps old records verifiable and readable", "[audit][writer]") {
  std::string db = audit_test::fresh_database();
  Keys first;
  Keys second;  // new signing key and new reviewers
  TempDir dir;
  std::vector<std::string> first_ids;
  {
    AuditWriter writer(audit_test::writer_config(db, first, dir));
    for (int i = 1; i <= 12; ++i) writer.submit(audit_test::sample_record(i)).get();
    writer.close();
  }
  {
    AuditWriter writer(audit_test::writer_config(db, second, dir));
    for (int i = 13; i <= 24; ++i) writer.submit(audit_test::sample_record(i)).get();
    writer.close();
  }
  CHECK(verify_with(db, {first.signing->public_key(), second.signing->public_key()}).ok);
  VerifyReport only_new = verify_with(db, {second.signing->public_key()});
  REQUIRE_FALSE(only_new.ok);
  CHECK_THAT(only_new.problems.front().what, Catch::Contains("untrusted key " + first.signing->public_key().key_id));

  AuditReader reader(db);
  SearchQuery q;
  q.limit = 100;
  auto with_old = reader.search(q, first.alice.get()).at("records").as_array();
  REQUIRE(with_old.size() == 24);
  CHECK(with_old[0].contains("payload"));
  CHECK(with_old[23].contains("payload_error"));
  auto with_new = reader.search(q, second.bob.get()).at("records").as_array();
  CHECK(with_new[0].contains("payload_error"));
  CHECK(with_new[23].at("payload").at("answer").as_string() == "ok 24");
}

TEST_CASE("bounded-lag mode completes futures early, still stores everything", "[audit][writer]") {
  std::string db = audit_test::fresh_database();
  Keys keys;
  TempDir dir;
  WriterConfig config = audit_test::writer_config(db, keys, dir);
  config.durability = Durability::kBoundedLag;
  config.max_lag_records = 1000000;
  AuditWriter writer(config);
  for (int i = 0; i < 100; ++i) {
    auto f = writer.submit(audit_test::sample_record(i));
    CHECK(f.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
  }
  writer.flush();
  CHECK(writer.stats().stored_in_db == 100);
}

TEST_CASE("a checkpoint is signed after T seconds even below N records", "[audit][writer]") {
  std::string db = audit_test::fresh_database();
  Keys keys;
  TempDir dir;
  WriterConfig config = audit_test::writer_config(db, keys, dir);
  config.checkpoint_every_records = 1000000;
  config.checkpoint_interval = std::chrono::milliseconds(100);
  AuditWriter writer(config);
  for (int i = 1; i <= 3; ++i) writer.submit(audit_test::sample_record(i)).get();
  AuditStore store(db);
  std::vector<Checkpoint> cps;
  for (int i = 0; i < 100; ++i) {  // the writer is still open: this cannot be the shutdown checkpoint
    cps = store.checkpoints();
    if (!cps.empty() && cps.back().seq == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE_FALSE(cps.empty());
  CHECK(cps.back().seq == 3);
  for (const auto& cp : cps) CHECK(cp.kind == "periodic");
  writer.close();
}

TEST_CASE("reader: search filters, free text over payloads, get, checkpoints", "[audit][reader]") {
  std::string db = audit_test::fresh_database();
  Keys keys;
  TempDir dir;
  {
    AuditWriter writer(audit_test::writer_config(db, keys, dir));
    for (int i = 1; i <= 40; ++i) writer.submit(audit_test::sample_record(i)).get();
    writer.close();
  }
  AuditReader reader(db);
  auto count = [&](SearchQuery q) { return reader.search(q, keys.alice.get()).at("records").size(); };
  SearchQuery q;
  q.team = "legal";  // n % 3 == 0
  CHECK(count(q) == 13);
  q = {};
  q.decision = "blocked";  // n % 4 == 0
  CHECK(count(q) == 10);
  q = {};
  q.entity_type = "IBAN";  // n % 5 == 0
  CHECK(count(q) == 8);
  q = {};
  q.policy_version = 2;  // odd n
  q.key_id = "key-odd";
  CHECK(count(q) == 20);
  q = {};
  q.text = "person17@example.com";
  auto hits = reader.search(q, keys.alice.get()).at("records").as_array();
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].at("seq").as_int() == 17);
  CHECK_THROWS_WITH(reader.search(q, nullptr), Catch::Contains("reviewer key is required"));
  q = {};
  q.limit = 15;
  auto page = reader.search(q, nullptr);
  CHECK(page.at("records").size() == 15);
  CHECK(page.at("records")[14].at("seq").as_int() == 15);
  REQUIRE(page.at("next_after").is_string());
  q.after = parse_record_cursor(page.at("next_after").as_string());
  CHECK(reader.search(q, nullptr).at("records")[0].at("seq").as_int() == 16);
  q.after.reset();
  CHECK_FALSE(page.at("records")[0].contains("payload"));

  std::string id = hits[0].at("record_id").as_string();
  auto rec = reader.get(id, keys.bob.get());
  CHECK(rec.at("payload").at("answer").as_string() == "ok 17");
  CHECK(reader.get("no-such-id", nullptr).is_null());
  auto cps = reader.checkpoints().at("checkpoints").as_array();
  REQUIRE(cps.size() >= 4);
  CHECK(cps.back().at("seq").as_int() == 40);
  VerifyOptions vo;
  vo.trusted_signing_keys = {keys.signing->public_key()};
  CHECK(reader.verify(vo).at("ok").as_bool());
}
