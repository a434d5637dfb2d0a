// Spool file format, and the writer falling back to it while PostgreSQL is down, then
// replaying exactly once.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <set>
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

namespace {

StoredRecord chained(uint64_t seq, const std::string& prev, const ReviewerPublicKey& reviewer) {
  StoredRecord r{"main", seq, seal_record(audit_test::sample_record(static_cast<int>(seq)), {reviewer}), prev, ""};
  r.hash = compute_record_hash(r.seq, r.prev_hash, r.sealed);
  return r;
}

uint64_t count_rows(const std::string& db, const std::string& table) {
  pqxx::connection c{db};
  pqxx::read_transaction tx{c};
  return tx.exec1("SELECT count(*) FROM " + table)[0].as<uint64_t>();
}

}  // namespace

TEST_CASE("spool entries round-trip and a torn tail is cut off", "[audit][spool]") {
  TempDir dir;
  auto reviewer = generate_reviewer_key();
  auto signing = generate_signing_key();
  StoredRecord a = chained(1, genesis_hash(), reviewer->public_key());
  StoredRecord b = chained(2, a.hash, reviewer->public_key());
  Checkpoint cp = sign_checkpoint("main", 2, b.hash, "periodic", *signing);
  {
    Spool spool(dir.path / "s");
    CHECK(spool.empty());
    spool.append({a, b}, {cp});
    CHECK_FALSE(spool.empty());
  }
  // A crash in the middle of a later append leaves a partial entry.
  int fd = ::open((dir.path / "s").c_str(), O_WRONLY | O_APPEND);
  REQUIRE(fd >= 0);
  const char partial[] = "\x40\x00\x00\x00Rpartial";
  REQUIRE(::write(fd, partial, sizeof partial - 1) == static_cast<ssize_t>(sizeof partial - 1));
  ::close(fd);

  Spool spool(dir.path / "s");
  Spool::Contents c = spool.read_all();
  CHECK(c.torn_tail);
  REQUIRE(c.records.size() == 2);
  CHECK(c.records[1].hash == b.hash);
  CHECK(c.records[1].sealed.header_text == b.sealed.header_text);
  CHECK(open_record(c.records[0].sealed, *reviewer) == open_record(a.sealed, *reviewer));
  REQUIRE(c.checkpoints.size() == 1);
  CHECK(checkpoint_problem(c.checkpoints[0], {signing->public_key()}).empty());
  // After the cut the file is clean again.
  CHECK_FALSE(spool.read_all().torn_tail);
  // A flipped byte inside an entry is detected by the checksum.
  {
    int wfd = ::open((dir.path / "s").c_str(), O_RDWR);
    char byte = 0;
    REQUIRE(::pread(wfd, &byte, 1, 40) == 1);
    byte ^= 0x20;
    REQUIRE(::pwrite(wfd, &byte, 1, 40) == 1);
    ::close(wfd);
  }
  CHECK(spool.read_all().records.empty());
  spool.clear();
  CHECK(spool.empty());
}

// A cluster of its own that these tests stop and start; fsync on, as durability is the point.
static warden::core::EmbeddedPostgres& stoppable_cluster() {
  static std::unique_ptr<warden::core::EmbeddedPostgres> pg = warden::core::EmbeddedPostgres::temporary(true);
  return *pg;
}

static std::string stoppable_database(const std::string& name) {
  auto& pg = stoppable_cluster();
  if (!pg.running()) pg.start();
  pg.create_database(name);
  pqxx::connection c{pg.conninfo(name)};
  warden::core::apply_migrations(c, std::filesystem::path(WARDEN_SOURCE_DIR) / "migrations");
  return pg.conninfo(name);
}

TEST_CASE("PostgreSQL stopped under load: records spool, then replay exactly once", "[audit][spool]") {
  auto* pg = &stoppable_cluster();
  std::string db = stoppable_database("under_load");
  Keys keys;
  TempDir dir;
  WriterConfig config = audit_test::writer_config(db, keys, dir);
  config.max_batch = 16;
  AuditWriter writer(config);

  std::atomic<int> next{1};
  auto submit_until = [&](int last) {
    std::vector<std::future<void>> pending;
    for (int n = next.load(); n <= last; n = ++next) pending.push_back(writer.submit(audit_test::sample_record(n)));
    for (auto& f : pending) f.get();  // every one durable: in PostgreSQL or in the spool
  };
  // A second thread keeps submitting through the outage.
  std::thread background([&] {
    for (int i = 0; i < 150; ++i) {
      writer.submit(audit_test::sample_record(100000 + i)).get();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  submit_until(60);
  pg->stop();
  submit_until(140);
  WriterStats during = writer.stats();
  CHECK(during.spooled >= 80);
  CHECK_FALSE(during.db_connected);
  CHECK(writer.healthy());  // the spool still takes records
  pg->start();
  submit_until(200);
  background.join();
  writer.flush();
  writer.close();

  WriterStats after = writer.stats();
  CHECK(after.replayed == after.spooled);
  CHECK(after.failed == 0);
  CHECK(count_rows(db, "audit_records") == 350);
  {
    pqxx::connection c{db};
    pqxx::read_transaction tx{c};
    auto row = tx.exec1("SELECT min(seq), max(seq), count(DISTINCT record_id) FROM audit_records");
    CHECK(row[0].as<uint64_t>() == 1);
    CHECK(row[1].as<uint64_t>() == 350);
    CHECK(row[2].as<uint64_t>() == 350);
  }
  Spool leftover(config.spool_path);
  CHECK(leftover.empty());

  AuditStore store(db);
  VerifyOptions vo;
  vo.trusted_signing_keys = {keys.signing->public_key()};
  vo.external_checkpoints = read_checkpoint_file(config.checkpoint_file);
  vo.strict = true;
  VerifyReport report = verify_chain(store, vo);
  INFO(report.to_json().dump(2));
  CHECK(report.ok);

  SECTION("a replay repeated after a crash inserts nothing twice") {
    // As if the process died after the replay committed but before the spool was cleared.
    auto rows = store.records_from("main", 300, 1000);
    std::vector<StoredRecord> again;
    for (auto& r : rows) again.push_back(r.record);
    {
      Spool spool(config.spool_path);
      spool.append(again, {});
    }
    AuditWriter restarted(config);
    restarted.submit(audit_test::sample_record(999)).get();
    restarted.close();
    CHECK(count_rows(db, "audit_records") == 351);
    CHECK(restarted.stats().last_seq == 351);
    CHECK(verify_chain(store, vo).ok);
  }
}

TEST_CASE("neither PostgreSQL nor spool: fail closed, recover when storage returns", "[audit][spool]") {
  auto* pg = &stoppable_cluster();
  std::string db = stoppable_database("fail_closed");
  Keys keys;
  TempDir dir;
  WriterConfig config = audit_test::writer_config(db, keys, dir);
  config.spool_path = dir.path / "missing-dir" / "audit.spool";  // cannot be created
  std::vector<std::string> logs;
  std::mutex log_mu;
  config.log = [&](const std::string& line) {
    std::lock_guard lock(log_mu);
    logs.push_back(line);
  };
  AuditWriter writer(config);
  writer.submit(audit_test::sample_record(1)).get();
  CHECK(writer.healthy());
  pg->stop();
  auto doomed = writer.submit(audit_test::sample_record(2));
  CHECK_THROWS_AS(doomed.get(), AuditUnavailable);
  CHECK_FALSE(writer.healthy());
  CHECK_THROWS_AS(writer.submit(audit_test::sample_record(3)), AuditUnavailable);
  CHECK(writer.stats().failed == 1);
  {
    std::lock_guard lock(log_mu);
    bool logged = false;
    for (const auto& l : logs) logged |= l.find("neither PostgreSQL nor the spool") != std::string::npos;
    CHECK(logged);
  }
  pg->start();
  for (int i = 0; i < 100 && !writer.healthy(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(writer.healthy());
  writer.submit(audit_test::sample_record(4)).get();
  writer.close();
  // The failed record left no gap: the chain continues at seq 2.
  CHECK(writer.stats().last_seq == 2);
  AuditStore store(db);
  VerifyOptions vo;
  vo.trusted_signing_keys = {keys.signing->public_key()};
  CHECK(verify_chain(store, vo).ok);
}

TEST_CASE("fail-open drops records with a log line instead of failing requests", "[audit][spool]") {
  Keys keys;
  TempDir dir;
  WriterConfig config = audit_test::writer_config("host=/nonexistent-socket-dir port=1 dbname=x user=x connect_timeout=1", keys, dir);
  config.spool_path = dir.path / "missing-dir" / "audit.spool";
  config.fail_open = true;
  AuditWriter writer(config);
  CHECK_FALSE(writer.healthy());
  CHECK_NOTHROW(writer.submit(audit_test::sample_record(1)).get());
  CHECK(writer.stats().dropped_fail_open == 1);
}
