// libFuzzer target for the scanner and the streaming path. Checks: no crash (ASan),
// every span inside the text, streaming output == one-shot output for a chunking
// derived from the input.
//   tests/policy/fuzz/run.sh SECONDS
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/json.h"
#include "policy/output_scanner.h"
#include "policy/redactor.h"

using namespace warden::policy;

namespace {

std::shared_ptr<const Redactor> load_policy() {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/policy/defaults/default.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return Redactor::compile(RedactionConfig::from_policy_document(warden::core::Json::parse(ss.str())));
}

[[noreturn]] void fail(const char* what, const std::string& text) {
  std::fprintf(stderr, "FUZZ FAILURE: %s (input %zu bytes)\n", what, text.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto redactor = load_policy();
  if (size < 1) return 0;
  // First byte picks the chunk size; the rest is the text.
  const size_t max_chunk = 1 + data[0] % 23;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

  for (const auto& f : redactor->findings(text)) {
    if (f.start >= f.end || f.end > text.size()) fail("finding outside the text", text);
  }
  RedactionSession input_session(redactor);
  RedactionResult in = input_session.redact(text);
  for (const auto& s : in.spans) {
    if (s.start >= s.end || s.end > text.size()) fail("span outside the text", text);
  }

  // Prime both vaults identically so placeholders in the fuzz text can be restored.
  RedactionSession one_shot(redactor), streamed(redactor);
  one_shot.redact("Mr. John Smith at john@example.com");
  streamed.redact("Mr. John Smith at john@example.com");
  const RedactionResult expected = one_shot.scan_output(text);
  auto scanner = streamed.output_scanner();
  std::string got;
  uint32_t state = static_cast<uint32_t>(size) * 2654435761u;
  for (size_t pos = 0; pos < text.size();) {
    state = state * 1103515245u + 12345u;
    const size_t len = 1 + (state >> 16) % max_chunk;
    got += scanner->feed(std::string_view(text).substr(pos, len));
    pos += len;
  }
  got += scanner->finish();
  if (got != expected.text) fail("streaming output differs from one-shot output", text);
  for (const auto& s : scanner->spans()) {
    if (s.start >= s.end || s.end > text.size()) fail("streaming span outside the text", text);
  }
  return 0;
}
