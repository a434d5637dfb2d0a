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
//     match its shape and dtype;
//   - tool-call parser (model output): never throws; the pieces do not depend on how the
//     text is cut into pushes (whole vs. cuts taken from the input's bytes);
//   - JSON string walker: finds values exactly when core::Json parses the text; splicing
//     the values back unchanged gives the text; splicing changed values (quotes,
//     backslashes, control bytes) gives valid JSON whose values are the replacements.
// Build and run: tests/fuzz/run.sh [SECONDS]
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>
#include <algorithm>

#include "core/json.h"
#include "core/yaml.h"
#include "gateway/api_error.h"
#include "gateway/chat_request.h"
#include "inference/safetensors.h"
#include "inference/tool_call_parser.h"
#include "core/utf8.h"
#include "policy/json_strings.h"

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
      if (m.role != "system" && m.role != "user" && m.role != "assistant" && m.role != "tool") {
        violated("unknown role accepted");
      }
      if (m.role != "assistant" && !m.tool_calls.empty()) violated("tool_calls accepted outside an assistant message");
      if (m.role == "tool" && m.tool_call_id.empty()) violated("tool message without tool_call_id");
    }
    if (request.tools.empty() && request.tool_choice.mode != warden::gateway::ToolChoice::Mode::kNone) {
      violated("tool_choice without tools");
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

// Pieces with adjacent text merged: cutting the input may cut text pieces differently.
std::vector<warden::inference::OutputPiece> normalized(std::vector<warden::inference::OutputPiece> pieces) {
  std::vector<warden::inference::OutputPiece> out;
  for (auto& p : pieces) {
    if (p.kind == warden::inference::OutputPiece::Kind::kText) {
      if (p.text.empty()) continue;
      if (!out.empty() && out.back().kind == warden::inference::OutputPiece::Kind::kText) {
        out.back().text += p.text;
        continue;
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

bool same_pieces(const std::vector<warden::inference::OutputPiece>& a, const std::vector<warden::inference::OutputPiece>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].text != b[i].text || a[i].call.type != b[i].call.type ||
        a[i].call.name != b[i].call.name || a[i].call.arguments != b[i].call.arguments ||
        a[i].call.complete != b[i].call.complete) {
      return false;
    }
  }
  return true;
}

void fuzz_tool_calls(std::string_view input) {
  // The parser takes complete UTF-8 (the detokenizer's output): the first byte sets the cut
  // stride, the rest is made valid by dropping what is not.
  if (input.empty()) return;
  const size_t stride = 1 + static_cast<unsigned char>(input[0]) % 7;
  std::string text;
  for (std::string_view rest = input.substr(1); !rest.empty();) {
    const size_t bad = warden::core::utf8_invalid_offset(rest);
    text.append(rest.substr(0, bad));
    if (bad == std::string_view::npos) break;
    rest.remove_prefix(bad + 1);
  }
  using warden::inference::ToolCallParser;
  auto run = [&](size_t step) {
    ToolCallParser parser;
    std::vector<warden::inference::OutputPiece> all;
    for (size_t i = 0; i < text.size();) {
      size_t n = std::min(step, text.size() - i);
      while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;  // whole characters
      for (auto& p : parser.push(std::string_view(text).substr(i, n))) all.push_back(std::move(p));
      i += n;
    }
    for (auto& p : parser.finish()) all.push_back(std::move(p));
    return normalized(std::move(all));
  };
  const auto whole = run(text.size() + 1);
  if (!same_pieces(whole, run(stride))) violated("tool-call parser: result depends on how the text is cut");
  if (!same_pieces(whole, run(1))) violated("tool-call parser: byte-by-byte pushes differ");
}

void fuzz_json_strings(std::string_view input) {
  using namespace warden::policy;
  auto values = json_string_values(input);
  bool parses = true;
  try {
    (void)Json::parse(input);
  } catch (const warden::core::JsonError&) {
    parses = false;
  }
  if (values.has_value() != parses) violated("json_string_values disagrees with Json::parse");
  if (!values) return;
  std::vector<std::string> same;
  std::vector<std::string> changed;
  for (const auto& v : *values) {
    if (v.start >= v.end || v.end > input.size() || input[v.start] != '"' || input[v.end - 1] != '"') {
      violated("json_string_values: range is not a string literal");
    }
    same.push_back(v.value);
    changed.push_back(v.value + "\"\\\n\x01<EMAIL_ADDRESS_1>");
  }
  if (splice_json_strings(input, *values, same) != input) violated("splicing unchanged values changed the text");
  const std::string spliced = splice_json_strings(input, *values, changed);
  auto again = json_string_values(spliced);
  if (!again || again->size() != changed.size()) violated("spliced text is not JSON with the same strings");
  for (size_t i = 0; i < changed.size(); ++i) {
    if ((*again)[i].value != changed[i] || (*again)[i].path != (*values)[i].path) violated("spliced value or path differs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: fuzz_json(input); break;
    case 1: fuzz_chat(input); break;
    case 2: fuzz_yaml(input); break;
    case 3: fuzz_safetensors(input); break;
    case 4: fuzz_tool_calls(input); break;
    case 5: fuzz_json_strings(input); break;
  }
  return 0;
}
