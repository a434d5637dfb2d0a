// Throughput of the redaction engine on mixed text (prose, code, logs), single thread,
// default policy; and the streaming scanner's added delay (bytes held back, ns per feed).
//
//   redaction_bench [MEGABYTES] [all|oneshot|stream]      (default 16 all)
//
// `oneshot` / `stream` run one half only (for profiling). Each figure is the best of 3
// runs, given twice: by wall-clock time and by the thread's CPU time ("cpu"), which is
// what one core delivers even when other processes share the machine.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "bench/redaction/mixed_text.h"
#include "core/json.h"
#include "policy/output_scanner.h"
#include "policy/redactor.h"

using namespace warden::policy;

namespace {

std::string read_all(const char* path) {
  FILE* f = std::fopen(path, "rb");
  if (!f) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(1);
  }
  std::string s;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

struct Seconds {
  double wall = 0;
  double cpu = 0;
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Seconds timed(const std::function<void()>& run) {
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = thread_cpu_seconds();
  run();
  return Seconds{std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count(),
                 thread_cpu_seconds() - cpu0};
}

// Best of 3 runs of redacting `text` in 1 MiB requests (a large request), in MB/s.
Seconds best_redact_rate(const std::shared_ptr<const Redactor>& redactor, std::string_view text, size_t* spans) {
  Seconds best;
  for (int run = 0; run < 3; ++run) {
    RedactionSession session(redactor);
    size_t found = 0;
    const Seconds s = timed([&] {
      for (size_t off = 0; off < text.size(); off += 1 << 20) found += session.redact(text.substr(off, 1 << 20)).spans.size();
    });
    best.wall = std::max(best.wall, static_cast<double>(text.size()) / s.wall / 1e6);
    best.cpu = std::max(best.cpu, static_cast<double>(text.size()) / s.cpu / 1e6);
    if (spans) *spans = found;
  }
  return best;
}

void bench_oneshot(const std::shared_ptr<const Redactor>& redactor, size_t megabytes) {
  const std::string text = warden::bench::mixed_text(megabytes << 20);
  size_t spans = 0;
  const Seconds mixed = best_redact_rate(redactor, text, &spans);
  std::printf("redact (default policy, mixed text, 1 MiB requests, 1 thread): %.1f MB/s  (cpu %.1f MB/s; %zu spans in %zu MB)\n",
              mixed.wall, mixed.cpu, spans, text.size() >> 20);
  const char* kinds[] = {"", "prose", "code", "logs"};
  for (int kind = 1; kind <= 3; ++kind) {
    const std::string part = warden::bench::mixed_text(std::max<size_t>(1, megabytes / 2) << 20, 7, kind);
    const Seconds rate = best_redact_rate(redactor, part, nullptr);
    std::printf("  %-5s only: %.1f MB/s  (cpu %.1f MB/s)\n", kinds[kind], rate.wall, rate.cpu);
  }
}

// Feeds `text` in 4-byte chunks (about one token); best of 3 runs.
void bench_stream(RedactionSession& session, std::string_view text, const char* label) {
  Seconds best{1e30, 1e30};
  size_t feeds = 0, held_total = 0;
  for (int run = 0; run < 3; ++run) {
    auto scanner = session.output_scanner();
    feeds = held_total = 0;
    const Seconds s = timed([&] {
      for (size_t off = 0; off < text.size(); off += 4) {
        scanner->feed(text.substr(off, 4));
        held_total += scanner->held_bytes();
        ++feeds;
      }
      scanner->finish();
    });
    best.wall = std::min(best.wall, s.wall);
    best.cpu = std::min(best.cpu, s.cpu);
  }
  std::printf("%s (4-byte chunks): %.0f ns per feed (cpu %.0f ns), %.2f bytes held back on average, %.1f MB/s\n", label,
              best.wall * 1e9 / static_cast<double>(feeds), best.cpu * 1e9 / static_cast<double>(feeds),
              static_cast<double>(held_total) / static_cast<double>(feeds),
              static_cast<double>(text.size()) / best.wall / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 16;
  const std::string mode = argc > 2 ? argv[2] : "all";
  if (megabytes == 0 || (mode != "all" && mode != "oneshot" && mode != "stream")) {
    std::fprintf(stderr, "usage: redaction_bench [MEGABYTES >= 1] [all|oneshot|stream]\n");
    return 2;
  }
  const std::string policy_path = std::string(WARDEN_SOURCE_DIR) + "/policy/defaults/default.json";
  auto redactor = Redactor::compile(
      RedactionConfig::from_policy_document(warden::core::Json::parse(read_all(policy_path.c_str()))));
  if (mode != "stream") bench_oneshot(redactor, megabytes);
  if (mode == "oneshot") return 0;

  // Streaming over 256 KiB of the mixed text, then prose only (what a chat answer looks like).
  RedactionSession session(redactor);
  const std::string mixed = warden::bench::mixed_text(256 << 10);
  bench_stream(session, mixed, "stream");
  std::string prose;
  while (prose.size() < (64 << 10))
    prose += "The meeting was moved to Thursday because several people were travelling this week. "
             "Our customers asked for better search, faster exports and a simpler onboarding flow. ";
  bench_stream(session, prose, "stream prose");
  return 0;
}
