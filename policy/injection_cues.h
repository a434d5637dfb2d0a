// Internal: the cue patterns of the injection heuristics (see injection.h). Patterns run
// on the normalised text (lower case, one space between words); '~' in a pattern stands
// for a short separator (up to 3 spaces, commas, colons, dashes; possibly none).
#pragma once

#include <string>
#include <vector>

#include "policy/injection.h"

namespace warden::policy {

struct InjectionCueSpec {
  InjectionCheck check;
  std::string name;  // stable id, shown in verdicts (never request text)
  double weight;     // 0..1
  std::string pattern;
};

const std::vector<InjectionCueSpec>& injection_cue_specs();

// A vocabulary: one pattern for a family of words with the same role in an attack
// ("dismiss", "earlier instructions", "persona", "no limits", ...).
struct InjectionGroupSpec {
  std::string name;
  std::string pattern;
};
// A co-occurrence cue: a match of group `a` and one of group `b` at most `max_gap` bytes
// apart (normalised text), in either order, overlapping or not.
struct InjectionPairSpec {
  InjectionCheck check;
  std::string name;
  double weight;
  std::string a;
  std::string b;
  size_t max_gap;
};
const std::vector<InjectionGroupSpec>& injection_group_specs();
const std::vector<InjectionPairSpec>& injection_pair_specs();

}  // namespace warden::policy
