// What a detector reports: a scored, typed byte span of the scanned text.
#pragma once

#include <cstddef>
#include <cstdint>

#include "policy/entity_type.h"

namespace warden::policy {

enum FindingFlags : uint32_t {
  kFindingNone = 0,
  kFindingEmbeddedCredentials = 1u << 0,  // URL carrying user:password@
  kFindingPlaceholder = 1u << 1,          // a vault placeholder seen in model output
};

struct Finding {
  size_t start = 0;        // value span [start, end), byte offsets into the scanned text
  size_t end = 0;
  size_t match_start = 0;  // whole pattern match, cue words included (start <= value)
  EntityId type = 0;
  double score = 0.0;
  uint32_t flags = kFindingNone;
  size_t length() const { return end - start; }
};

}  // namespace warden::policy
