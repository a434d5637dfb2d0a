// Deterministic overlap resolution between findings.
#pragma once

#include <vector>

#include "policy/finding.h"

namespace warden::policy {

// Keeps a non-overlapping subset: placeholders first, then longest, then highest score,
// then type priority (lower id), then earliest start. Returns it sorted by start.
// Greedy over that order, so the choice inside a group of overlapping findings never
// depends on findings outside it (which the streaming scanner relies on).
std::vector<Finding> resolve_overlaps(std::vector<Finding> candidates);

}  // namespace warden::policy
