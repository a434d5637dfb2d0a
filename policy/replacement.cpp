// What replaces a finding: mask, pseudonym, keyed hash, or the restored original.
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/utf8.h"
#include "policy/errors.h"
#include "policy/hash_key.h"
#include "policy/redactor.h"

namespace warden::policy {
namespace {

size_t char_length(std::string_view s, size_t i) {
  size_t len = core::utf8_sequence_length(s.substr(i));
  return len == 0 ? 1 : len;  // an invalid byte counts as one character
}

std::string mask_chars(std::string_view value, const MaskOptions& m) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < value.size(); i += char_length(value, i)) starts.push_back(i);
  const size_t keep = std::min(starts.size(), static_cast<size_t>(m.keep_last));
  const size_t masked = starts.size() - keep;
  std::string out;
  for (size_t i = 0; i < masked; ++i) out += m.mask_char;
  if (keep > 0) out.append(value.substr(starts[masked]));
  return out;
}

std::string decode_key_material(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  const bool hex = text.size() >= 32 && text.size() % 2 == 0 &&
                   std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  if (!hex) return text;
  std::string bytes(text.size() / 2, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(), text.size(),
                     nullptr, &len, nullptr) != 0)
    return text;
  bytes.resize(len);
  sodium_memzero(text.data(), text.size());
  return bytes;
}

}  // namespace

std::string default_hash_key_resolver(const std::string& reference) {
  if (reference.rfind("env:", 0) == 0) {
    const std::string name = reference.substr(4);
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) throw std::runtime_error("environment variable " + name + " is not set");
    return decode_key_material(v);
  }
  if (reference.rfind("file:", 0) == 0) {
    const std::string path = reference.substr(5);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read key file " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return decode_key_material(ss.str());
  }
  throw std::runtime_error("unsupported key reference (expected env:NAME or file:PATH)");
}

std::string Redactor::replacement(const Finding& f, std::string_view value, Direction direction,
                                  PseudonymVault& vault, size_t restore_limit) const {
  const std::string_view name = type_name(f.type);
  const EntityPolicy& p = policy(f.type);
  switch (p.action) {
    case Action::kPseudonymize: {
      if (direction == Direction::kOutput) {
        // The caller's own value (sent in the request) is not hidden from the caller.
        auto seq = vault.sequence_of(name, value);
        if (seq && *seq < restore_limit) return std::string(value);
      }
      return vault.placeholder_for(name, value);
    }
    case Action::kHash: {
      if (!hash_key_) throw RedactionError("hash action without a hash key");
      std::string input(name);
      input.push_back('\0');
      input.append(value);
      unsigned char digest[16];
      crypto_generichash(digest, sizeof(digest), reinterpret_cast<const unsigned char*>(input.data()),
                         input.size(), hash_key_->bytes, crypto_generichash_KEYBYTES);
      char hex[17];
      sodium_bin2hex(hex, sizeof(hex), digest, 8);
      return "<" + std::string(name) + "#" + hex + ">";
    }
    case Action::kMask:
      if (p.mask.style == MaskStyle::kChars) return mask_chars(value, p.mask);
      return "<" + std::string(name) + ">";
    case Action::kBlock:
    case Action::kAllow:
      return "<" + std::string(name) + ">";
  }
  return "<" + std::string(name) + ">";
}

bool Redactor::apply(std::string_view text, const std::vector<Finding>& findings, size_t from, size_t to,
                     Direction direction, PseudonymVault& vault, std::string& out,
                     std::vector<RedactedSpan>& spans, std::vector<std::string>& blocked, size_t span_offset,
                     size_t restore_limit) const {
  size_t pos = from;
  auto first = std::lower_bound(findings.begin(), findings.end(), from,
                                [](const Finding& f, size_t v) { return f.start < v; });
  for (auto it = first; it != findings.end() && it->start < to; ++it) {
    const Finding& f = *it;
    if (f.end > to) throw RedactionError("internal error: finding crosses the emission boundary");
    out.append(text.substr(pos, f.start - pos));
    const std::string_view value = text.substr(f.start, f.end - f.start);
    if (f.flags & kFindingPlaceholder) {
      auto original = vault.original_of(value);
      out.append(original ? std::string_view(*original) : value);
      pos = f.end;
      continue;
    }
    const EntityPolicy& p = policy(f.type);
    if (p.action == Action::kBlock) {
      std::string name(type_name(f.type));
      if (std::find(blocked.begin(), blocked.end(), name) == blocked.end()) {
        blocked.push_back(name);
        std::sort(blocked.begin(), blocked.end());
      }
      if (direction == Direction::kOutput) return false;
    }
    out.append(replacement(f, value, direction, vault, restore_limit));
    RedactedSpan span;
    span.start = f.start + span_offset;
    span.end = f.end + span_offset;
    span.type = std::string(type_name(f.type));
    span.score = f.score;
    span.action = p.action;
    span.embedded_credentials = (f.flags & kFindingEmbeddedCredentials) != 0;
    spans.push_back(std::move(span));
    pos = f.end;
  }
  out.append(text.substr(pos, to - pos));
  return true;
}

}  // namespace warden::policy
