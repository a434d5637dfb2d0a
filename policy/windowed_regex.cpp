#include "policy/windowed_regex.h"

#include <re2/re2.h>

#include <algorithm>
#include <stdexcept>

#include "policy/text_fold.h"

namespace warden::policy {

WindowedRegex::WindowedRegex(const std::string& pattern, size_t max_len)
    : max_len_(max_len), step_(std::max<size_t>(32, max_len / 4)) {
  RE2::Options options;
  options.set_log_errors(false);
  re_ = std::make_unique<RE2>(pattern, options);
  if (!re_->ok()) throw std::invalid_argument(re_->error());
}

WindowedRegex::~WindowedRegex() = default;

bool WindowedRegex::matches_empty() const { return RE2::FullMatch("", *re_); }

void WindowedRegex::advance(std::string_view text, size_t base, bool complete, size_t* pos,
                            std::vector<std::pair<size_t, size_t>>& out) const {
  const size_t end = base + text.size();
  const size_t window = max_len_ + step_;
  // Skips at most 3 continuation bytes (one character's worth): with invalid UTF-8 a longer
  // run would make the position depend on how much text has arrived.
  auto next_boundary = [&](size_t p) {
    for (int k = 0; k < 3 && p < end && text::is_continuation(text[p - base]); ++k) ++p;
    return std::min(p, end);
  };
  while (*pos < end) {
    const size_t p = *pos;
    if (!complete && end < p + lookahead()) return;
    const size_t ctx_lo = std::max(p >= kContext ? p - kContext : 0, base);
    const size_t ctx_hi = std::min(p + window + kContext, end);
    const size_t win_end = std::min(p + window, end);
    const re2::StringPiece context(text.data() + (ctx_lo - base), ctx_hi - ctx_lo);
    re2::StringPiece m;
    if (!re_->Match(context, p - ctx_lo, win_end - ctx_lo, RE2::UNANCHORED, &m, 1)) {
      *pos = next_boundary(std::min(p + step_ + 1, end));
      continue;
    }
    const size_t s = ctx_lo + static_cast<size_t>(m.data() - context.data());
    const size_t e = s + m.size();
    if (s > p + step_) {
      *pos = s;
      continue;
    }
    if (e == s) {
      *pos = next_boundary(s + 1);
      continue;
    }
    out.emplace_back(s, e);
    *pos = e;
  }
}

std::vector<std::pair<size_t, size_t>> WindowedRegex::find_all(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  size_t pos = 0;
  advance(text, 0, true, &pos, out);
  return out;
}

}  // namespace warden::policy
