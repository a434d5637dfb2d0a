#include "policy/output_scanner.h"

#include <algorithm>

#include "policy/errors.h"

namespace warden::policy {
namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

OutputScanner::OutputScanner(RedactionSession& session)
    : session_(session),
      redactor_(session.redactor()),
      restore_limit_(session.vault().size()),
      restore_(session.redactor().config().restore_pseudonyms) {}

std::string OutputScanner::feed(std::string_view chunk) {
  if (finished_) throw RedactionError("output scanner: feed() after finish()");
  if (blocked()) return {};
  buffer_.append(chunk);
  return advance(false);
}

std::string OutputScanner::finish() {
  if (finished_) return {};
  std::string out = blocked() ? std::string() : advance(true);
  finished_ = true;
  buffer_.clear();
  return out;
}

std::string OutputScanner::advance(bool final) {
  const std::string_view text(buffer_);
  const size_t cut = emitted_ - base_;
  std::vector<Finding> candidates;
  std::vector<Finding> findings =
      redactor_.collect(text, cut, restore_ ? &session_.vault() : nullptr, restore_limit_, &candidates);
  size_t next = text.size();
  if (!final) {
    next = redactor_.detector().pending_start(text, cut, restore_);
    // Never stop inside a candidate (even one that lost an overlap: the winner may still
    // vanish as more text arrives) or inside a UTF-8 character.
    bool moved = true;
    while (moved) {
      moved = false;
      for (const Finding& f : candidates) {
        if (f.start < next && next < f.end) {
          next = f.start;
          moved = true;
        }
      }
      while (next > cut && next < text.size() && is_continuation(text[next])) {
        --next;
        moved = true;
      }
    }
    next = std::max(next, cut);
  }
  std::string out;
  const bool go_on = redactor_.apply(text, findings, cut, next, Redactor::Direction::kOutput,
                                     session_.vault(), out, spans_, blocked_types_, base_, restore_limit_);
  if (!go_on) {
    emitted_ = base_ + text.size();
    return out;
  }
  emitted_ = base_ + next;
  // Keep enough bytes before the cut for context words, cue words and boundaries.
  const size_t keep_from = next > Detector::kLookback ? next - Detector::kLookback : 0;
  if (keep_from > 0) {
    buffer_.erase(0, keep_from);
    base_ += keep_from;
  }
  return out;
}

}  // namespace warden::policy
