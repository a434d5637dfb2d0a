#include "inference/utf8_stream.h"

#include "inference/tokenizer.h"

namespace warden::inference {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Sequence length announced by a lead byte and the valid range of the byte after it
// (RFC 3629 table: excludes overlongs, surrogates and code points above U+10FFFF).
struct LeadInfo {
  int length = 0;  // 0: not a lead byte
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
};

LeadInfo lead_info(unsigned char b) {
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {};
}

}  // namespace

size_t append_utf8_lossy(std::string& out, std::string_view bytes, bool at_end) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    if (s[i] < 0x80) {
      out.push_back(static_cast<char>(s[i]));
      ++i;
      continue;
    }
    LeadInfo lead = lead_info(s[i]);
    if (lead.length == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    int k = 1;
    bool broken = false;
    for (; k < lead.length; ++k) {
      if (i + k >= n) break;
      unsigned char lo = k == 1 ? lead.second_min : 0x80;
      unsigned char hi = k == 1 ? lead.second_max : 0xBF;
      if (s[i + k] < lo || s[i + k] > hi) {
        broken = true;
        break;
      }
    }
    if (broken) {
      out.append(kReplacement);  // the maximal subpart s[i, i+k)
      i += static_cast<size_t>(k);
    } else if (k < lead.length) {  // ran out of bytes
      if (!at_end) return i;
      out.append(kReplacement);
      i = n;
    } else {
      out.append(bytes.substr(i, static_cast<size_t>(lead.length)));
      i += static_cast<size_t>(lead.length);
    }
  }
  return n;
}

std::string Utf8ByteStream::push(std::string_view bytes) {
  pending_.append(bytes);
  std::string text;
  size_t used = append_utf8_lossy(text, pending_, /*at_end=*/false);
  pending_.erase(0, used);
  return text;
}

std::string Utf8ByteStream::flush() {
  std::string text;
  append_utf8_lossy(text, pending_, /*at_end=*/true);
  pending_.clear();
  return text;
}

std::string Utf8StreamDecoder::push(TokenId id) {
  if (skip_special_ && tokenizer_->is_special(id)) return {};
  return bytes_.push(tokenizer_->token_bytes(id));
}

}  // namespace warden::inference
