#include "policy/phrase_matcher.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>

#include "policy/text_fold.h"

namespace warden::policy {
namespace {

bool is_spaced_word(const text::Char& c) { return text::is_word(c) && !text::is_standalone(c.cp); }

}  // namespace

uint32_t PhraseMatcher::add(std::string_view phrase) {
  if (built_) throw std::logic_error("PhraseMatcher::add after build");
  std::string folded = text::fold_phrase(phrase);
  if (folded.empty()) throw std::invalid_argument("phrase is empty");
  if (folded.size() > kMaxPhraseBytes) {
    throw std::invalid_argument("phrase longer than " + std::to_string(kMaxPhraseBytes) + " bytes");
  }
  auto it = std::find(folded_.begin(), folded_.end(), folded);
  if (it != folded_.end()) return static_cast<uint32_t>(it - folded_.begin());
  Term t;
  t.folded_length = static_cast<uint32_t>(folded.size());
  t.left_boundary = is_spaced_word(text::decode(folded, 0));
  t.right_boundary = is_spaced_word(text::decode(folded, text::previous_start(folded, folded.size())));
  folded_.push_back(std::move(folded));
  terms_.push_back(t);
  return static_cast<uint32_t>(terms_.size() - 1);
}

void PhraseMatcher::build() {
  std::set<unsigned char> used;
  for (const auto& f : folded_) used.insert(f.begin(), f.end());
  if (used.size() > 255) throw std::length_error("the phrases use more than 255 distinct bytes");
  class_count_ = 1;
  for (unsigned char b : used) byte_class_[b] = static_cast<uint8_t>(class_count_++);

  // Trie with sparse children, then breadth-first failure links into a dense table.
  std::vector<std::map<uint8_t, int32_t>> go(1);
  out_term_.assign(1, -1);
  depth_.assign(1, 0);
  for (size_t t = 0; t < folded_.size(); ++t) {
    int32_t s = 0;
    for (unsigned char b : folded_[t]) {
      const uint8_t c = byte_class_[b];
      auto& children = go[static_cast<size_t>(s)];
      auto it = children.find(c);
      if (it != children.end()) {
        s = it->second;
        continue;
      }
      if (go.size() >= kMaxStates) {
        throw std::length_error("the phrases need more than " + std::to_string(kMaxStates) +
                                " matcher states; split them over several rules");
      }
      const auto next = static_cast<int32_t>(go.size());
      const uint16_t d = static_cast<uint16_t>(depth_[static_cast<size_t>(s)] + 1);
      go[static_cast<size_t>(s)][c] = next;
      go.emplace_back();
      out_term_.push_back(-1);
      depth_.push_back(d);
      s = next;
    }
    out_term_[static_cast<size_t>(s)] = static_cast<int32_t>(t);
  }
  const size_t n = go.size();
  if (n * class_count_ > kMaxTableEntries) {
    throw std::length_error("the phrases need a matcher table of " + std::to_string(n * class_count_ * 4 >> 20) +
                            " MiB (over 64 MiB); split them over several rules");
  }
  delta_.assign(n * class_count_, 0);
  out_link_.assign(n, -1);
  std::vector<int32_t> fail(n, 0);
  std::deque<int32_t> queue;
  for (const auto& [c, child] : go[0]) {
    delta_[c] = child;
    queue.push_back(child);
  }
  while (!queue.empty()) {
    const int32_t s = queue.front();
    queue.pop_front();
    const auto su = static_cast<size_t>(s);
    const int32_t f = fail[su];
    out_link_[su] = out_term_[static_cast<size_t>(f)] >= 0 ? f : out_link_[static_cast<size_t>(f)];
    if (s == 0) continue;
    for (size_t c = 0; c < class_count_; ++c) {
      const int32_t via_fail = delta_[static_cast<size_t>(f) * class_count_ + c];
      auto it = c == 0 ? go[su].end() : go[su].find(static_cast<uint8_t>(c));
      if (it != go[su].end()) {
        fail[static_cast<size_t>(it->second)] = via_fail;
        delta_[su * class_count_ + c] = it->second;
        queue.push_back(it->second);
      } else {
        delta_[su * class_count_ + c] = via_fail;
      }
    }
  }
  built_ = true;
}

void PhraseMatcher::scan(std::string_view text, size_t from, bool complete, std::vector<Match>& out,
                         size_t* unsettled) const {
  size_t open = text.size();
  if (!built_ || terms_.empty()) {
    if (unsettled) *unsettled = open;
    return;
  }
  // Text offsets of the last folded bytes fed (a phrase is at most kMaxPhraseBytes long).
  constexpr size_t kRing = 256;
  static_assert(kRing > kMaxPhraseBytes);
  size_t ring_start[kRing];
  size_t fed = 0;
  int32_t state = 0;
  bool in_space = false;
  size_t space_bytes = 0;
  size_t ignorable_run = 0;
  std::string folded;
  size_t i = from;
  while (i < text.size()) {
    if (!complete && text::truncated_at(text, i)) {
      open = std::min(open, i);
      break;
    }
    const text::Char c = text::decode(text, i);
    const size_t char_start = i;
    i += c.length;
    if (c.valid && text::is_ignorable(c.cp)) {
      if (++ignorable_run > kMaxIgnorableRun) state = 0;
      continue;
    }
    ignorable_run = 0;
    if (c.valid && text::is_space(c.cp)) {
      if (in_space) {
        space_bytes += c.length;
        if (space_bytes > kMaxSpaceRun) state = 0;
        continue;
      }
      in_space = true;
      space_bytes = c.length;
      folded.assign(1, ' ');
    } else {
      in_space = false;
      folded.clear();
      text::append_folded(c, folded);
    }
    for (unsigned char b : folded) {
      state = step(state, b);
      ring_start[fed % kRing] = char_start;
      ++fed;
      const auto su = static_cast<size_t>(state);
      for (int32_t s = out_term_[su] >= 0 ? state : out_link_[su]; s >= 0; s = out_link_[static_cast<size_t>(s)]) {
        const auto t = static_cast<uint32_t>(out_term_[static_cast<size_t>(s)]);
        const Term& term = terms_[t];
        const size_t start = ring_start[(fed - term.folded_length) % kRing];
        const size_t end = i;
        if (start < from) continue;
        if (term.left_boundary && start > 0 && is_spaced_word(text::decode(text, text::previous_start(text, start)))) {
          continue;
        }
        if (term.right_boundary) {
          if (end >= text.size() || (!complete && text::truncated_at(text, end))) {
            if (!complete) {
              open = std::min(open, start);
              continue;
            }
          } else if (is_spaced_word(text::decode(text, end))) {
            continue;
          }
        }
        out.push_back(Match{start, end, t});
      }
    }
  }
  if (!complete) {
    const size_t depth = depth_[static_cast<size_t>(state)];
    if (depth > 0 && depth <= fed) open = std::min(open, ring_start[(fed - depth) % kRing]);
  }
  if (unsettled) *unsettled = open;
}

}  // namespace warden::policy
