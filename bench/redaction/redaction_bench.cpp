// Throughput of the redaction engine on mixed text (prose, code, logs), single thread,
// default policy; and the streaming scanner's added delay (bytes held back, ns per feed).
//
//   redaction_bench [MEGABYTES]      (default 16)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/redaction/mixed_text.h"
#include "core/json.h"
#include "policy/output_scanner.h"
#include "policy/redactor.h"

using namespace warden::policy;
using Clock = std::chrono::steady_clock;

static std::string read_all(const char* path) {
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

int main(int argc, char** argv) {
  const size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 16;
  const std::string policy_path = std::string(WARDEN_SOURCE_DIR) + "/policy/defaults/default.json";
  auto redactor = Redactor::compile(
      RedactionConfig::from_policy_document(warden::core::Json::parse(read_all(policy_path.c_str()))));
  const std::string text = warden::bench::mixed_text(megabytes << 20);

  // One-shot redaction, 1 MiB documents (a large request), best of 3 runs.
  double best = 0;
  size_t spans = 0;
  for (int run = 0; run < 3; ++run) {
    RedactionSession session(redactor);
    auto t0 = Clock::now();
    spans = 0;
    for (size_t off = 0; off < text.size(); off += 1 << 20) {
      auto r = session.redact(std::string_view(text).substr(off, 1 << 20));
      spans += r.spans.size();
    }
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, text.size() / s / 1e6);
  }
  std::printf("redact (default policy, mixed text, 1 MiB requests, 1 thread): %.1f MB/s  (%zu spans in %zu MB)\n",
              best, spans, text.size() >> 20);
  const char* kinds[] = {"", "prose", "code", "logs"};
  for (int kind = 1; kind <= 3; ++kind) {
    const std::string part = warden::bench::mixed_text(std::max<size_t>(1, megabytes / 2) << 20, 7, kind);
    double part_best = 0;
    for (int run = 0; run < 3; ++run) {
      RedactionSession session(redactor);
      auto t0 = Clock::now();
      for (size_t off = 0; off < part.size(); off += 1 << 20) session.redact(std::string_view(part).substr(off, 1 << 20));
      double s = std::chrono::duration<double>(Clock::now() - t0).count();
      part_best = std::max(part_best, part.size() / s / 1e6);
    }
    std::printf("  %-5s only: %.1f MB/s\n", kinds[kind], part_best);
  }

  // Streaming: 4-byte chunks (about one token) over 256 KiB of the same text.
  const std::string_view stream_text = std::string_view(text).substr(0, 256 << 10);
  RedactionSession session(redactor);
  auto scanner = session.output_scanner();
  size_t feeds = 0, held_total = 0, out_bytes = 0;
  auto t0 = Clock::now();
  for (size_t off = 0; off < stream_text.size(); off += 4) {
    out_bytes += scanner->feed(stream_text.substr(off, 4)).size();
    held_total += scanner->held_bytes();
    ++feeds;
  }
  out_bytes += scanner->finish().size();
  double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
  std::printf("stream (4-byte chunks): %.0f ns per feed, %.1f bytes held back on average, %.1f MB/s\n",
              ns / feeds, static_cast<double>(held_total) / feeds, stream_text.size() / (ns / 1e9) / 1e6);

  // Prose only: what a chat answer looks like.
  std::string prose;
  while (prose.size() < (64 << 10))
    prose += "The meeting was moved to Thursday because several people were travelling this week. "
             "Our customers asked for better search, faster exports and a simpler onboarding flow. ";
  auto prose_scanner = session.output_scanner();
  feeds = held_total = 0;
  t0 = Clock::now();
  for (size_t off = 0; off < prose.size(); off += 4) {
    prose_scanner->feed(std::string_view(prose).substr(off, 4));
    held_total += prose_scanner->held_bytes();
    ++feeds;
  }
  prose_scanner->finish();
  ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
  std::printf("stream prose (4-byte chunks): %.0f ns per feed, %.2f bytes held back on average\n",
              ns / feeds, static_cast<double>(held_total) / feeds);
  return 0;
}
