// PEM private key blocks. Not a regex: a block runs from "-----BEGIN <label>-----" to the
// matching "-----END <label>-----", which a leftmost-longest regex cannot express without
// swallowing the text between two keys. Also the streaming hold-back rule for them.
#include <re2/re2.h>

#include <cstring>
#include <optional>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "policy/detector.h"

namespace warden::policy {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr size_t kMaxLabel = 64;

struct PemBlock {
  size_t start = 0;
  size_t end = 0;
  bool complete = false;
  bool header_complete = true;
};

// text.find(kBegin, from), faster on text full of '-' (logs, dates): 16 positions at a
// time must show '-' at +0 and +4 and 'B' at +5 before a full comparison.
size_t find_begin_marker(std::string_view text, size_t from) {
#if defined(__SSE2__)
  const size_t n = text.size();
  const char* p = text.data();
  size_t i = from;
  for (; i + 16 + kBegin.size() <= n; i += 16) {
    const __m128i dash = _mm_set1_epi8('-');
    const __m128i at0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i at4 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 4));
    const __m128i at5 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 5));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(
        _mm_and_si128(_mm_cmpeq_epi8(at0, dash), _mm_cmpeq_epi8(at4, dash)), _mm_cmpeq_epi8(at5, _mm_set1_epi8('B')))));
    while (mask != 0) {
      const size_t k = i + static_cast<size_t>(__builtin_ctz(mask));
      if (std::memcmp(p + k, kBegin.data(), kBegin.size()) == 0) return k;
      mask &= mask - 1;
    }
  }
  return i >= n ? std::string_view::npos : text.find(kBegin, i);
#else
  return text.find(kBegin, from);
#endif
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool body_byte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':' ||
         c == ',' || c == '-' || c == '.';
}

// The private-key block starting at p (text[p..] starts with kBegin), if it is one.
std::optional<PemBlock> parse_block(std::string_view text, size_t p) {
  const size_t n = text.size();
  const size_t label_start = p + kBegin.size();
  const size_t q = text.substr(0, std::min(n, label_start + kMaxLabel)).find("-----", label_start);
  if (q == std::string_view::npos) {
    PemBlock b;
    b.start = p;
    b.header_complete = false;
    if (n < label_start + kMaxLabel) return b;  // the header may still be arriving
    return std::nullopt;
  }
  const std::string_view label = text.substr(label_start, q - label_start);
  if (!ends_with(label, "PRIVATE KEY") && !ends_with(label, "PRIVATE KEY BLOCK")) return std::nullopt;
  const size_t header_end = q + 5;
  const size_t limit = std::min(n, p + Detector::kPemMaxBytes);
  std::string end_marker = "-----END " + std::string(label) + "-----";
  const size_t e = text.substr(0, limit).find(end_marker, header_end);
  PemBlock b;
  b.start = p;
  if (e != std::string_view::npos) {
    b.end = e + end_marker.size();
    b.complete = true;
    return b;
  }
  // No END line (truncated paste): take the header and the body that follows it.
  size_t i = header_end;
  while (i < limit && body_byte(text[i])) {
    if (text[i] == '\n' && i + 1 < limit && (text[i + 1] == '\n' || text[i + 1] == '\r')) break;
    if (text.substr(i, 5) == "-----") break;
    ++i;
  }
  while (i > header_end && (text[i - 1] == '\n' || text[i - 1] == '\r' || text[i - 1] == ' ')) --i;
  b.end = i;
  return b;
}

}  // namespace

void Detector::scan_private_keys(std::string_view text, size_t from, std::vector<Finding>& out) const {
  size_t p = find_begin_marker(text, from);
  while (p != std::string_view::npos) {
    auto block = parse_block(text, p);
    size_t next = p + 1;
    if (block && block->header_complete) {
      Finding f;
      f.start = f.match_start = block->start;
      f.end = block->end;
      f.type = kPrivateKey;
      f.score = block->complete ? 1.0 : 0.9;
      out.push_back(f);
      next = std::max(next, block->end);
    }
    p = find_begin_marker(text, next);
  }
}

size_t Detector::pem_pending_start(std::string_view text, size_t from) const {
  const size_t n = text.size();
  size_t p = find_begin_marker(text, from);
  while (p != std::string_view::npos) {
    auto block = parse_block(text, p);
    if (block && (!block->header_complete || (!block->complete && n < p + kPemMaxBytes))) return p;
    size_t next = p + 1;
    if (block && block->header_complete) next = std::max(next, block->end);
    p = find_begin_marker(text, next);
  }
  // A marker cut in the middle: "-----BEG" at the very end.
  for (size_t k = std::min(kBegin.size() - 1, n - from); k > 0; --k) {
    if (text.substr(n - k) == kBegin.substr(0, k)) return n - k;
  }
  return n;
}

size_t Detector::pending_start(std::string_view text, size_t from, bool placeholders) const {
  const size_t n = text.size();
  if (from >= n) return n;
  size_t best = n;
  const size_t window = std::max(from, n > max_pending_len_ ? n - max_pending_len_ : size_t{0});
  const RE2& re = placeholders ? *pending_with_placeholders_ : *pending_;
  re2::StringPiece m;
  if (re.Match(re2::StringPiece(text.data(), n), window, n, RE2::UNANCHORED, &m, 1)) {
    best = static_cast<size_t>(m.data() - text.data());
  }
  const size_t dict = dictionary_.pending_length(text, from);
  if (dict > 0) best = std::min(best, std::max(from, n - dict));
  if (private_keys_) best = std::min(best, pem_pending_start(text, from));
  return best;
}

}  // namespace warden::policy
