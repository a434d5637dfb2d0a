// Tamper evidence: each kind of manipulation of stored audit rows is caught by the
// verifier, which names the first affected record.
#include <catch2/catch.hpp>

#include "audit/checkpoint.h"
#include "audit/envelope.h"
#include "audit/store.h"
#include "audit/verifier.h"
#include "audit_fixture.h"

using namespace warden::audit;
using audit_test::Keys;
using audit_test::TempDir;

namespace {

constexpr int kRecords = 30;  // checkpoints every 10 records + one at shutdown

struct Chain {
  std::string db = audit_test::fresh_database("tamper");
  Keys keys;
  TempDir dir;
  Chain() {
    AuditWriter writer(audit_test::writer_config(db, keys, dir));
    // Groups of 10 so that periodic checkpoints land on seq 10, 20 and 30.
    for (int group = 0; group < kRecords / 10; ++group) {
      std::vector<std::future<void>> done;
      for (int i = 1; i <= 10; ++i) done.push_back(writer.submit(audit_test::sample_record(group * 10 + i)));
      for (auto& f : done) f.get();
    }
    writer.close();
  }
  VerifyReport verify(bool with_export = false, bool strict = false) {
    AuditStore store(db);
    VerifyOptions o;
    o.trusted_signing_keys = {keys.signing->public_key()};
    if (with_export) o.external_checkpoints = read_checkpoint_file(dir.path / "checkpoints.jsonl");
    o.strict = strict;
    return verify_chain(store, o);
  }
  void sql(const std::string& statement) {
    pqxx::connection c{db};
    pqxx::work tx{c};
    tx.exec0(statement);
    tx.commit();
  }
  std::string record_id(uint64_t seq) {
    pqxx::connection c{db};
    pqxx::read_transaction tx{c};
    return tx.exec1("SELECT record_id FROM audit_records WHERE seq = " + std::to_string(seq))[0].as<std::string>();
  }
};

void require_first_problem(const VerifyReport& r, uint64_t seq, const std::string& fragment) {
  INFO(r.to_json().dump(2));
  REQUIRE_FALSE(r.ok);
  CHECK(r.problems.front().seq == seq);
  CHECK_THAT(r.problems.front().what, Catch::Contains(fragment));
}

}  // namespace

TEST_CASE("an untouched chain verifies, including against the exported checkpoints", "[audit][tamper]") {
  Chain chain;
  VerifyReport r = chain.verify(true, true);
  INFO(r.to_json().dump(2));
  CHECK(r.ok);
  CHECK(r.records_checked == kRecords);
  REQUIRE(r.chain("main"));
  CHECK(r.chain("main")->attested_seq == kRecords);
  CHECK(r.checkpoints_checked == 6);  // periodic at 10, 20, 30, in the store and in the export
}

TEST_CASE("verify catches a changed ciphertext byte", "[audit][tamper]") {
  Chain chain;
  std::string id = chain.record_id(12);
  chain.sql("UPDATE audit_records SET ciphertext = set_byte(ciphertext, 10, get_byte(ciphertext, 10) # 1) WHERE seq = 12");
  VerifyReport r = chain.verify();
  require_first_problem(r, 12, "was altered");
  CHECK(r.problems.front().record_id == id);
}

TEST_CASE("verify catches a changed header field and a changed search column", "[audit][tamper]") {
  Chain chain;
  // Record 13 is "redacted"; the attacker rewrites both the hashed header and the column.
  chain.sql("UPDATE audit_records SET header = replace(header, '\"decision\":\"redacted\"', '\"decision\":\"allowed\"'), "
            "decision = 'allowed' WHERE seq = 13");
  require_first_problem(chain.verify(), 13, "hash does not match");
  Chain chain2;
  chain2.sql("UPDATE audit_records SET team = 'nobody' WHERE seq = 14");
  require_first_problem(chain2.verify(), 14, "column team");
}

TEST_CASE("verify catches a deleted record", "[audit][tamper]") {
  Chain chain;
  chain.sql("DELETE FROM audit_records WHERE seq = 15");
  require_first_problem(chain.verify(), 15, "missing");
}

TEST_CASE("verify catches two swapped records", "[audit][tamper]") {
  Chain chain;
  chain.sql("UPDATE audit_records SET seq = -7 WHERE seq = 7");
  chain.sql("UPDATE audit_records SET seq = 7 WHERE seq = 8");
  chain.sql("UPDATE audit_records SET seq = 8 WHERE seq = -7");
  require_first_problem(chain.verify(), 7, "does not link");
}

TEST_CASE("verify catches a truncated tail through the exported checkpoints", "[audit][tamper]") {
  Chain chain;
  // The attacker removes the last records and every checkpoint in the store that covers them.
  chain.sql("DELETE FROM audit_records WHERE seq > 25");
  chain.sql("DELETE FROM audit_checkpoints WHERE seq > 25");
  VerifyReport without_export = chain.verify();
  CHECK(without_export.ok);  // inside the store alone the shortened chain is consistent
  require_first_problem(chain.verify(true), 26, "truncated");
}

TEST_CASE("verify catches forged records", "[audit][tamper]") {
  Chain chain;
  AuditStore store(chain.db);
  auto head = store.head("main");
  REQUIRE(head);
  SealedRecord forged = seal_record(audit_test::sample_record(99), {chain.keys.alice->public_key()});

  SECTION("a naive forgery with a made-up hash") {
    StoredRecord r{"main", head->first + 1, forged, head->second, std::string(32, 'x')};
    store.insert({r}, {});
    require_first_problem(chain.verify(), head->first + 1, "was altered");
  }
  SECTION("a well-linked forgery appended after the last checkpoint") {
    StoredRecord r{"main", head->first + 1, forged, head->second, ""};
    r.hash = compute_record_hash(r.seq, r.prev_hash, r.sealed);
    store.insert({r}, {});
    VerifyReport lenient = chain.verify();
    CHECK(lenient.ok);
    REQUIRE(lenient.warnings.size() == 1);
    CHECK_THAT(lenient.warnings[0], Catch::Contains("not covered by a valid signed checkpoint"));
    require_first_problem(chain.verify(false, true), head->first + 1, "not covered");
  }
  SECTION("a forgery inserted in the middle, later records renumbered") {
    chain.sql("UPDATE audit_records SET seq = -seq WHERE seq > 10");
    chain.sql("UPDATE audit_records SET seq = -seq + 1 WHERE seq < 0");
    auto tenth = store.records_from("main", 10, 1);
    StoredRecord r{"main", 11, forged, tenth.front().record.hash, ""};
    r.hash = compute_record_hash(r.seq, r.prev_hash, r.sealed);
    store.insert({r}, {});
    require_first_problem(chain.verify(), 12, "does not link");
  }
}

TEST_CASE("verify catches a chain re-hashed and re-signed with another key", "[audit][tamper]") {
  Chain chain;
  AuditStore store(chain.db);
  auto records = store.records_from("main", 1, 1000);
  // Alter record 5, re-hash everything after it, replace all checkpoints with the attacker's.
  auto attacker = generate_signing_key();
  std::string prev = records[3].record.hash;
  chain.sql("DELETE FROM audit_records WHERE seq >= 5");
  chain.sql("DELETE FROM audit_checkpoints");
  std::vector<StoredRecord> rewritten;
  for (size_t i = 4; i < records.size(); ++i) {
    StoredRecord r = records[i].record;
    if (r.seq == 5) {
      r.sealed.header.decision = "allowed";
      r.sealed.header_text = canonical_header(r.sealed.header);
    }
    r.prev_hash = prev;
    r.hash = compute_record_hash(r.seq, r.prev_hash, r.sealed);
    prev = r.hash;
    rewritten.push_back(r);
  }
  std::vector<Checkpoint> forged_cps = {sign_checkpoint("main", 10, rewritten[5].hash, "periodic", *attacker),
                                        sign_checkpoint("main", 30, rewritten.back().hash, "shutdown", *attacker)};
  store.insert(rewritten, forged_cps);
  // The forged record's column must agree too, or the column check would catch it first.
  chain.sql("UPDATE audit_records SET decision = 'allowed' WHERE seq = 5");

  VerifyReport r = chain.verify();
  require_first_problem(r, 10, "untrusted key");
  // Against the exported checkpoints the earliest re-hashed checkpoint names the damage.
  VerifyReport with_export = chain.verify(true);
  REQUIRE_FALSE(with_export.ok);
  bool names_mismatch = false;
  for (const auto& p : with_export.problems) {
    if (p.seq == 10 && p.what.find("does not match the stored chain") != std::string::npos) names_mismatch = true;
  }
  CHECK(names_mismatch);
}
