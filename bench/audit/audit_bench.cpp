// audit_bench: sustained audit records/s into a local PostgreSQL (embedded, fsync on,
// synchronous_commit on for audit transactions) and submit -> durable latency.
//
//   audit_bench [--seconds S] [--threads T] [--inflight N] [--db CONNINFO] [--migrations DIR]
//
// Without --db a throwaway embedded cluster is started. Each submitter thread keeps up
// to N records in flight (as N concurrent requests would); latency is measured from
// submit() to the durable callback.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "audit/writer.h"
#include "core/embedded_pg.h"
#include "core/migrations.h"

using namespace warden;
using Clock = std::chrono::steady_clock;

namespace {

struct Result {
  double records_per_s = 0;
  double mb_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  uint64_t records = 0;
};

audit::AuditRecord make_record(size_t payload_bytes, uint64_t n) {
  audit::AuditRecord r;
  r.header.action = "chat.completions";
  r.header.key_id = "key-" + std::to_string(n % 50);
  r.header.team = "team-" + std::to_string(n % 7);
  r.header.role = "user";
  r.header.route = "/v1/chat/completions";
  r.header.model = "deepseek-v2-lite";
  r.header.policy_name = "default";
  r.header.policy_version = 3;
  r.header.decision = "redacted";
  r.header.entity_counts = {{"EMAIL", 1}, {"PHONE", 2}};
  r.header.prompt_tokens = 120;
  r.header.completion_tokens = 300;
  r.header.latency_ms = 800;
  r.header.http_status = 200;
  r.header.client_addr = "10.1.2.3";
  std::string text(payload_bytes, 'a');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + (i * 7 + n) % 26);
  r.payload.set("original_messages", text.substr(0, payload_bytes / 2));
  r.payload.set("answer", text.substr(payload_bytes / 2));
  return r;
}

Result run(audit::AuditWriter& writer, size_t payload_bytes, int threads, size_t inflight, double seconds) {
  std::vector<double> latencies;
  std::mutex lat_mu;
  std::atomic<uint64_t> done{0};
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::atomic<size_t> outstanding{0};
      std::vector<double> local;
      std::mutex local_mu;
      uint64_t n = static_cast<uint64_t>(t) << 40;
      while (Clock::now() < deadline) {
        if (outstanding.load() >= inflight) {
          std::this_thread::sleep_for(std::chrono::microseconds(50));
          continue;
        }
        ++outstanding;
        auto submitted = Clock::now();
        writer.submit(make_record(payload_bytes, n++), [&, submitted](std::exception_ptr e) {
          double ms = std::chrono::duration<double, std::milli>(Clock::now() - submitted).count();
          {
            std::lock_guard lock(local_mu);
            local.push_back(ms);
          }
          if (!e) ++done;
          --outstanding;
        });
      }
      while (outstanding.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::lock_guard lock(lat_mu);
      latencies.insert(latencies.end(), local.begin(), local.end());
    });
  }
  for (auto& th : pool) th.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  Result r;
  r.records = done.load();
  r.records_per_s = r.records / elapsed;
  r.mb_per_s = r.records_per_s * payload_bytes / 1e6;
  if (!latencies.empty()) {
    r.p50_ms = latencies[latencies.size() / 2];
    r.p99_ms = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
    r.max_ms = latencies.back();
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  int threads = 4;
  size_t inflight = 64;
  std::string conninfo;
  std::filesystem::path migrations = core::default_migrations_dir();  // ./migrations, or $WARDEN_MIGRATIONS_DIR
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (a == "--threads") threads = std::stoi(argv[i + 1]);
    else if (a == "--inflight") inflight = std::stoul(argv[i + 1]);
    else if (a == "--db") conninfo = argv[i + 1];
    else if (a == "--migrations") migrations = argv[i + 1];
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  std::unique_ptr<core::EmbeddedPostgres> pg;
  if (conninfo.empty()) {
    pg = core::EmbeddedPostgres::temporary(/*fsync=*/true);
    conninfo = pg->conninfo();
  }
  {
    pqxx::connection c{conninfo};
    core::apply_migrations(c, migrations);
  }
  auto reviewer = audit::generate_reviewer_key();
  char spool_dir[] = "/tmp/warden-audit-bench-XXXXXX";
  if (!::mkdtemp(spool_dir)) return 1;
  std::printf("audit_bench: %d submitter threads x %zu in flight, %.0f s per run, fsync on, synchronous_commit on\n",
              threads, inflight, seconds);
  std::printf("%-8s %-10s %12s %10s %10s %10s %10s\n", "payload", "load", "records/s", "MB/s", "p50 ms", "p99 ms",
              "max ms");
  for (size_t bytes : {size_t(1024), size_t(16384)}) {
    for (bool sequential : {false, true}) {
      audit::WriterConfig config;
      config.conninfo = conninfo;
      config.reviewers = {reviewer->public_key()};
      config.signing_key = audit::generate_signing_key();
      config.spool_path = std::filesystem::path(spool_dir) / "spool";
      config.checkpoint_every_records = 1000;
      audit::AuditWriter writer(config);
      Result r = sequential ? run(writer, bytes, 1, 1, std::min(seconds, 3.0)) : run(writer, bytes, threads, inflight, seconds);
      writer.close();
      audit::WriterStats s = writer.stats();
      std::printf("%-8s %-10s %12.0f %10.1f %10.2f %10.2f %10.2f   (%llu records, %llu spooled, %llu failed)\n",
                  bytes == 1024 ? "1 KB" : "16 KB", sequential ? "1 client" : "sustained", r.records_per_s, r.mb_per_s,
                  r.p50_ms, r.p99_ms, r.max_ms, static_cast<unsigned long long>(r.records),
                  static_cast<unsigned long long>(s.spooled), static_cast<unsigned long long>(s.failed));
    }
  }
  std::filesystem::remove_all(spool_dir);
  return 0;
}
