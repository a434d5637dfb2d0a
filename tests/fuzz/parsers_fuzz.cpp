// libFuzzer target for the parsers that take input from outside: JSON request bodies, the
// chat-completions request, YAML config and policy files, and safetensors headers. The first
// byte picks the parser; the rest is the input. Properties checked besides "no crash, no
// out-of-bounds access" (ASan/UBSan):
//   - JSON: only JsonError is thrown; what parses re-serializes to text that parses to an
//     equal value, and serializing that again gives the same text;
//   - chat request: only JsonError or ApiError (a 4xx naming a param or not) is thrown;
//     every message has a known role;
//   - YAML: only YamlError; a parsed document round-trips through JSON text;
//   - safetensors: only std::runtime_error; every tensor's bytes lie inside the file and
//     match its shape and dtype.
// Build and run: tests/fuzz/run.sh [SECONDS]
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/yaml.h"
#include "gateway/api_error.h"
#include "gateway/chat_request.h"
#include "inference/safetensors.h"

namespace {

using warden::core::Json;

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

void json_round_trip(const Json& value) {
  const std::string text = value.dump();
  Json again;
  try {
    again = Json::parse(text, 1000);
  } catch (const warden::core::JsonError&) {
    violated("dump() produced text that does not parse");
  }
  if (!(again == value)) violated("parse(dump(x)) != x");
  if (again.dump() != text) violated("dump is not stable");
}

void fuzz_json(std::string_view input) {
  try {
    json_round_trip(Json::parse(input, 64));
  } catch (const warden::core::JsonError&) {
  }
}

void fuzz_chat(std::string_view input) {
  try {
    Json body = Json::parse(input, 64);
    auto request = warden::gateway::parse_chat_request(body, {50, 4});
    for (const auto& m : request.messages) {
      if (m.role != "system" && m.role != "user" && m.role != "assistant") violated("unknown role accepted");
    }
    if (request.stop.size() > 4) violated("too many stop sequences accepted");
  } catch (const warden::core::JsonError&) {
  } catch (const warden::gateway::ApiError& e) {
    if (e.status() < 400 || e.status() >= 500) violated("a bad request answered with a non-4xx status");
  }
}

void fuzz_yaml(std::string_view input) {
  try {
    json_round_trip(warden::core::parse_yaml(input));
  } catch (const warden::core::YamlError&) {
  }
}

void fuzz_safetensors(std::string_view input) {
  static int fd = memfd_create("fuzz.safetensors", 0);
  if (fd < 0) violated("memfd_create failed");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, input.data(), input.size(), 0) != static_cast<ssize_t>(input.size())) {
    violated("cannot write the memfd");
  }
  try {
    auto file = warden::inference::SafetensorsFile::open("/proc/self/fd/" + std::to_string(fd));
    for (const auto& [name, t] : file->tensors()) {
      (void)name;
      if (t.bytes > 0 && t.data == nullptr) violated("tensor without data");
      // Touch the first and last byte: ASan/SEGV if outside the mapping.
      if (t.bytes > 0) {
        volatile uint8_t first = t.data[0];
        volatile uint8_t last = t.data[t.bytes - 1];
        (void)first;
        (void)last;
      }
    }
  } catch (const std::runtime_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: fuzz_json(input); break;
    case 1: fuzz_chat(input); break;
    case 2: fuzz_yaml(input); break;
    case 3: fuzz_safetensors(input); break;
  }
  return 0;
}
