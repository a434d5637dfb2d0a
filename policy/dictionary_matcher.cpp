#include "policy/dictionary_matcher.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>

#include "policy/validators.h"

namespace warden::policy {
namespace {

inline unsigned char fold_byte(unsigned char prev, unsigned char b) {
  if (b >= 'A' && b <= 'Z') return static_cast<unsigned char>(b + 32);
  if (prev == 0xC3 && b >= 0x80 && b <= 0x9E && b != 0x97) return static_cast<unsigned char>(b + 0x20);
  return b;
}

}  // namespace

std::string fold_case(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  unsigned char prev = 0;
  for (unsigned char b : s) {
    out.push_back(static_cast<char>(fold_byte(prev, b)));
    prev = b;
  }
  return out;
}

void DictionaryMatcher::add(std::string_view term, EntityId type, double score) {
  while (!term.empty() && (term.front() == ' ' || term.front() == '\t')) term.remove_prefix(1);
  while (!term.empty() && (term.back() == ' ' || term.back() == '\t' || term.back() == '\r'))
    term.remove_suffix(1);
  if (term.empty()) return;
  if (term.size() > kMaxTermBytes) {
    throw std::invalid_argument("term longer than " + std::to_string(kMaxTermBytes) + " bytes");
  }
  pending_terms_.push_back(fold_case(term));
  pending_meta_.push_back(Term{static_cast<uint32_t>(term.size()), type, score});
}

void DictionaryMatcher::build() {
  // Byte classes: each byte used by a term gets its own class; everything else is 0.
  std::set<unsigned char> used;
  for (const auto& t : pending_terms_) used.insert(t.begin(), t.end());
  class_count_ = 1;
  for (unsigned char b : used) byte_class_[b] = static_cast<uint8_t>(class_count_++);
  if (class_count_ > 255) throw std::invalid_argument("dictionary alphabet too large");

  // Trie (goto function) with sparse maps, then BFS for failure links into a dense table.
  std::vector<std::map<uint8_t, int32_t>> go(1);
  std::vector<int32_t> term_at(1, -1);
  depth_.assign(1, 0);
  std::map<std::pair<std::string, EntityId>, bool> seen;
  for (size_t i = 0; i < pending_terms_.size(); ++i) {
    const std::string& t = pending_terms_[i];
    if (seen.count({t, pending_meta_[i].type})) continue;
    seen[{t, pending_meta_[i].type}] = true;
    int32_t s = 0;
    for (unsigned char b : t) {
      uint8_t c = byte_class_[b];
      auto it = go[static_cast<size_t>(s)].find(c);
      if (it == go[static_cast<size_t>(s)].end()) {
        go.emplace_back();
        term_at.push_back(-1);
        depth_.push_back(static_cast<uint16_t>(depth_[static_cast<size_t>(s)] + 1));
        int32_t ns = static_cast<int32_t>(go.size() - 1);
        go[static_cast<size_t>(s)][c] = ns;
        s = ns;
      } else {
        s = it->second;
      }
    }
    if (term_at[static_cast<size_t>(s)] < 0) {
      term_at[static_cast<size_t>(s)] = static_cast<int32_t>(terms_.size());
      terms_.push_back(pending_meta_[i]);
      terms_.back().length = static_cast<uint32_t>(t.size());
    }
  }
  const size_t n_states = go.size();
  delta_.assign(n_states * class_count_, 0);
  out_term_ = term_at;
  out_link_.assign(n_states, -1);
  std::vector<int32_t> fail(n_states, 0);
  std::deque<int32_t> queue;
  for (size_t c = 0; c < class_count_; ++c) {
    auto it = go[0].find(static_cast<uint8_t>(c));
    if (it != go[0].end() && c != 0) {
      delta_[c] = it->second;
      queue.push_back(it->second);
    }
  }
  while (!queue.empty()) {
    int32_t s = queue.front();
    queue.pop_front();
    int32_t f = fail[static_cast<size_t>(s)];
    out_link_[static_cast<size_t>(s)] = out_term_[static_cast<size_t>(f)] >= 0 ? f : out_link_[static_cast<size_t>(f)];
    for (size_t c = 0; c < class_count_; ++c) {
      auto it = go[static_cast<size_t>(s)].find(static_cast<uint8_t>(c));
      int32_t via_fail = delta_[static_cast<size_t>(f) * class_count_ + c];
      if (it != go[static_cast<size_t>(s)].end() && c != 0) {
        fail[static_cast<size_t>(it->second)] = via_fail;
        delta_[static_cast<size_t>(s) * class_count_ + c] = it->second;
        queue.push_back(it->second);
      } else {
        delta_[static_cast<size_t>(s) * class_count_ + c] = via_fail;
      }
    }
  }
  pending_terms_.clear();
  pending_meta_.clear();
}

void DictionaryMatcher::scan(std::string_view text, size_t from, std::vector<Finding>& out) const {
  if (terms_.empty()) return;
  int32_t state = 0;
  unsigned char prev = from > 0 ? static_cast<unsigned char>(text[from - 1]) : 0;
  for (size_t i = from; i < text.size(); ++i) {
    unsigned char raw = static_cast<unsigned char>(text[i]);
    state = step(state, fold_byte(prev, raw));
    prev = raw;
    for (int32_t s = out_term_[static_cast<size_t>(state)] >= 0 ? state : out_link_[static_cast<size_t>(state)];
         s >= 0; s = out_link_[static_cast<size_t>(s)]) {
      const Term& t = terms_[static_cast<size_t>(out_term_[static_cast<size_t>(s)])];
      size_t end = i + 1;
      size_t start = end - t.length;
      if (start < from) continue;
      if (start > 0 && is_word_byte(text[start - 1])) continue;
      if (end < text.size() && is_word_byte(text[end])) continue;
      // A term must not begin or end in the middle of a word of its own.
      if (!is_word_byte(text[start]) && start > 0 && is_word_byte(text[start - 1])) continue;
      Finding f;
      f.start = f.match_start = start;
      f.end = end;
      f.type = t.type;
      f.score = t.score;
      out.push_back(f);
    }
  }
}

size_t DictionaryMatcher::pending_length(std::string_view text, size_t from) const {
  if (terms_.empty()) return 0;
  size_t begin = text.size() - std::min(text.size() - from, kMaxTermBytes + 4);
  int32_t state = 0;
  unsigned char prev = begin > 0 ? static_cast<unsigned char>(text[begin - 1]) : 0;
  for (size_t i = begin; i < text.size(); ++i) {
    unsigned char raw = static_cast<unsigned char>(text[i]);
    state = step(state, fold_byte(prev, raw));
    prev = raw;
  }
  return depth_[static_cast<size_t>(state)];
}

}  // namespace warden::policy
