#include "policy/overlap.h"

#include <algorithm>
#include <map>

namespace warden::policy {

std::vector<Finding> resolve_overlaps(std::vector<Finding> c) {
  std::sort(c.begin(), c.end(), [](const Finding& a, const Finding& b) {
    const bool pa = a.flags & kFindingPlaceholder, pb = b.flags & kFindingPlaceholder;
    if (pa != pb) return pa;
    if (a.length() != b.length()) return a.length() > b.length();
    if (a.score != b.score) return a.score > b.score;
    if (a.type != b.type) return a.type < b.type;
    return a.start < b.start;
  });
  std::map<size_t, size_t> taken;  // start -> end of accepted findings
  std::vector<Finding> kept;
  for (const Finding& f : c) {
    if (f.end <= f.start) continue;
    auto next = taken.lower_bound(f.start);
    if (next != taken.end() && next->first < f.end) continue;
    if (next != taken.begin() && std::prev(next)->second > f.start) continue;
    taken.emplace(f.start, f.end);
    kept.push_back(f);
  }
  std::sort(kept.begin(), kept.end(), [](const Finding& a, const Finding& b) { return a.start < b.start; });
  return kept;
}

}  // namespace warden::policy
