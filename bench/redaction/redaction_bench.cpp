// Throughput of the redaction engine on mixed text (prose, code, logs), single thread,
// default policy; and the streaming scanner's added delay (bytes held back, ns per feed).
//
//   redaction_bench [MEGABYTES] [all|oneshot|stream|check|prose|code|logs|pii] [auto|sse2|none]
//                                                                        (default 16 all auto)
//
// `oneshot` / `stream` run one half only, `prose` / `code` / `logs` one part of the one-shot
// half, `pii` the 3 % of it that is PII alone (for profiling). `check` prints hashes of every
// finding instead of timings: compare them before and after a change to the detectors. The
// third argument forces the prefilter's instruction set (`none`: its reference loop). Each
// figure is the best of 3 runs, given twice: by wall-clock time and by the thread's CPU time
// ("cpu"), which is what one core delivers even when other processes share the machine.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>

#include "bench/redaction/mixed_text.h"
#include "core/json.h"
#include "policy/detector.h"
#include "policy/output_scanner.h"
#include "policy/redactor.h"
#include "policy/start_filter.h"

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

// kind: 0 all, else the one part of the mixed text (1 prose, 2 code, 3 logs, 4 PII).
void bench_oneshot(const std::shared_ptr<const Redactor>& redactor, size_t megabytes, int only_kind = 0) {
  const char* kinds[] = {"", "prose", "code", "logs", "pii"};
  if (only_kind != 0) {
    const std::string part = warden::bench::mixed_text(std::max<size_t>(1, megabytes / 2) << 20, 7, only_kind);
    const Seconds rate = best_redact_rate(redactor, part, nullptr);
    std::printf("  %-5s only: %.1f MB/s  (cpu %.1f MB/s)\n", kinds[only_kind], rate.wall, rate.cpu);
    return;
  }
  const std::string text = warden::bench::mixed_text(megabytes << 20);
  size_t spans = 0;
  const Seconds mixed = best_redact_rate(redactor, text, &spans);
  std::printf("redact (default policy, mixed text, 1 MiB requests, 1 thread): %.1f MB/s  (cpu %.1f MB/s; %zu spans in %zu MB)\n",
              mixed.wall, mixed.cpu, spans, text.size() >> 20);
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

// FNV-1a over the fields of findings and redaction results.
struct Fnv {
  uint64_t h = 1469598103934665603ull;
  void bytes(const void* data, size_t n) {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  void number(uint64_t v) { bytes(&v, sizeof(v)); }
  void text(std::string_view s) {
    number(s.size());
    bytes(s.data(), s.size());
  }
};

// Random text dense in pieces that start or nearly start findings of every type.
std::string dense_text(size_t bytes) {
  static const char* const kPieces[] = {
      " ", " ", " ", "\n", ", ", ". ", "-", ".", ":", "/", "(", ")", "+", "@", "=", "#", "_", "\"",
      "0", "1", "7", "12", "123", "2024", "4111", "555", "0147", "10.0.4.17", "192.168.1.1", "256.1.1.1",
      "2024-03-15", "15.03.1985", "4111 1111 1111 1111", "4111-1111-1111-1111", "5500000000000004",
      "123-45-6789", "078-05-1120", "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "DE89",
      "+1 212-555-0147", "+44 20 7946 0958", "(212) 555-0147", "06 12 34 56 78", "0049 30 1234567",
      "2001:db8::1", "fe80::", "::1", "abc:def:", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
      "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
      "AKIAIOSFODNN7EXAMPLE", "ghp_", "ghp_1234567890abcdefghijABCDEFGHIJ123456", "xoxb-123-456-abc",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop", "sk-", "sk-proj-abcdefghij1234567890",
      "https://", "http://user:pw@host.com/x", "www.example.org", "jane.doe@example.com", "a@b.co",
      "Mr", "Mr. Robert Fischer", "Dear Anna", "name: John Smith", "to", "From", "cc", "met", "Hello",
      "password", "password: hunter2!", "api_key", "api_key = \"a8Fk29dLq0Zx7Bn3Vc5Mw1Er6Ty4Ui2O\"",
      "token", "secret", "dob", "born on 12/03/1985", "Geburtsdatum: 1. März 1980", "12 rue de Rivoli",
      "rue", "bis", "Via Roma 12", "Hauptstraße 5", "221B Baker Street", "10 Downing St.", "Street",
      "Anna", "Schmidt", "the", "order", "invoice", "version", "phone", "card", "iban", "ssn",
      "\xc3\xa9", "\xc3\x89", "\xff", "\x80", "a", "Z", "x", "e", "b", "BC1", "ext. 12"};
  std::mt19937_64 rng(99);
  std::string out;
  while (out.size() < bytes) out += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
  return out;
}

// Hashes of (1) the default policy's redaction of the benchmark texts in 1 MiB requests
// and (2) every raw finding (all builtin types wanted) on them and on dense_text.
void check(const std::shared_ptr<const Redactor>& redactor, size_t megabytes) {
  std::vector<std::pair<std::string, std::string>> texts;
  texts.emplace_back("mixed", warden::bench::mixed_text(megabytes << 20));
  const char* kinds[] = {"", "prose", "code", "logs", "pii"};
  for (int kind = 1; kind <= 4; ++kind)
    texts.emplace_back(kinds[kind], warden::bench::mixed_text(std::max<size_t>(1, megabytes / 2) << 20, 7, kind));
  texts.emplace_back("dense", dense_text(std::max<size_t>(1, megabytes / 4) << 20));
  const Detector detector(std::vector<bool>(kBuiltinEntityCount, true), {}, {});
  for (const auto& [name, text] : texts) {
    Fnv redacted, raw;
    size_t spans = 0, findings = 0;
    RedactionSession session(redactor);
    std::vector<Finding> out;
    for (size_t off = 0; off < text.size(); off += 1 << 20) {
      const std::string_view request = std::string_view(text).substr(off, 1 << 20);
      const RedactionResult r = session.redact(request);
      redacted.text(r.text);
      for (const auto& s : r.spans) {
        redacted.number(s.start);
        redacted.number(s.end);
        redacted.text(s.type);
        redacted.number(static_cast<uint64_t>(s.score * 1e6));
      }
      spans += r.spans.size();
      out.clear();
      detector.scan(request, 0, out);
      for (const auto& f : out) {
        raw.number(f.start);
        raw.number(f.end);
        raw.number(f.match_start);
        raw.number(static_cast<uint64_t>(f.type));
        raw.number(static_cast<uint64_t>(f.score * 1e6));
        raw.number(f.flags);
      }
      findings += out.size();
    }
    std::printf("%-5s %8zu spans  redacted %016llx   %8zu raw findings %016llx\n", name.c_str(), spans,
                static_cast<unsigned long long>(redacted.h), findings, static_cast<unsigned long long>(raw.h));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 16;
  const std::string mode = argc > 2 ? argv[2] : "all";
  const std::string simd = argc > 3 ? argv[3] : "auto";
  if (simd == "sse2") {
    StartFilter::force_simd(StartFilter::Simd::kSse2);
  } else if (simd == "none") {
    StartFilter::force_simd(StartFilter::Simd::kNone);
  } else if (simd != "auto") {
    std::fprintf(stderr, "unknown instruction set %s (expected auto, sse2, none)\n", simd.c_str());
    return 2;
  }
  if (megabytes == 0 || (mode != "all" && mode != "oneshot" && mode != "stream" && mode != "check" &&
                          mode != "prose" && mode != "code" && mode != "logs" && mode != "pii")) {
    std::fprintf(stderr,
                 "usage: redaction_bench [MEGABYTES >= 1] [all|oneshot|stream|check|prose|code|logs|pii] "
                 "[auto|sse2|none]\n");
    return 2;
  }
  const std::string policy_path = std::string(WARDEN_SOURCE_DIR) + "/policy/defaults/default.json";
  auto redactor = Redactor::compile(
      RedactionConfig::from_policy_document(warden::core::Json::parse(read_all(policy_path.c_str()))));
  if (mode == "check") {
    check(redactor, megabytes);
    return 0;
  }
  if (mode == "prose" || mode == "code" || mode == "logs" || mode == "pii") {
    bench_oneshot(redactor, megabytes, mode == "prose" ? 1 : mode == "code" ? 2 : mode == "logs" ? 3 : 4);
    return 0;
  }
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
