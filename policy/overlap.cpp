#include "policy/overlap.h"

#include <algorithm>
#include <map>

namespace warden::policy {
namespace {

// The priority order of the greedy choice. The last keys only make ties deterministic.
bool higher_priority(const Finding& a, const Finding& b) {
  const bool pa = a.flags & kFindingPlaceholder, pb = b.flags & kFindingPlaceholder;
  if (pa != pb) return pa;
  if (a.length() != b.length()) return a.length() > b.length();
  if (a.score != b.score) return a.score > b.score;
  if (a.type != b.type) return a.type < b.type;
  if (a.start != b.start) return a.start < b.start;
  if (a.match_start != b.match_start) return a.match_start < b.match_start;
  return a.flags < b.flags;
}

// Greedy over [begin, end) (one group of transitively overlapping findings), appending
// the kept ones sorted by start.
void resolve_group(std::vector<Finding>::iterator begin, std::vector<Finding>::iterator end,
                   std::vector<Finding>& kept) {
  std::sort(begin, end, higher_priority);
  const size_t first_kept = kept.size();
  if (end - begin <= 32) {
    for (auto it = begin; it != end; ++it) {
      bool free = true;
      for (size_t k = first_kept; k < kept.size() && free; ++k)
        free = kept[k].end <= it->start || it->end <= kept[k].start;
      if (free) kept.push_back(*it);
    }
  } else {
    std::map<size_t, size_t> taken;  // start -> end of accepted findings
    for (auto it = begin; it != end; ++it) {
      auto next = taken.lower_bound(it->start);
      if (next != taken.end() && next->first < it->end) continue;
      if (next != taken.begin() && std::prev(next)->second > it->start) continue;
      taken.emplace(it->start, it->end);
      kept.push_back(*it);
    }
  }
  std::sort(kept.begin() + static_cast<std::ptrdiff_t>(first_kept), kept.end(),
            [](const Finding& a, const Finding& b) { return a.start < b.start; });
}

}  // namespace

std::vector<Finding> resolve_overlaps(std::vector<Finding> c) {
  c.erase(std::remove_if(c.begin(), c.end(), [](const Finding& f) { return f.end <= f.start; }), c.end());
  // Groups of transitively overlapping findings are independent of each other: the greedy
  // runs per group, and most groups are a single finding.
  std::sort(c.begin(), c.end(), [](const Finding& a, const Finding& b) { return a.start < b.start; });
  std::vector<Finding> kept;
  kept.reserve(c.size());
  auto group = c.begin();
  size_t group_end = 0;
  for (auto it = c.begin(); it != c.end(); ++it) {
    if (it != group && it->start >= group_end) {
      if (it - group == 1) kept.push_back(*group);
      else resolve_group(group, it, kept);
      group = it;
    }
    group_end = it == group ? it->end : std::max(group_end, it->end);
  }
  if (group != c.end()) {
    if (c.end() - group == 1) kept.push_back(*group);
    else resolve_group(group, c.end(), kept);
  }
  return kept;
}

}  // namespace warden::policy
