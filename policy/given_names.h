// Names without a cue ("Anna Schmidt approved the budget"): a common given name followed by a
// capitalised surname. The given names are a built-in list of common first names of the
// locales Warden's detectors cover (en, de, fr, es, it, nl, and frequent international
// ones); words that are also ordinary English words or abbreviations (Will, May, Mark, Max,
// Jan, ...) are left out. Names outside the list need a cue or the company directory
// (a custom dictionary entity).
#pragma once

#include <string>
#include <vector>

#include "policy/validators.h"

namespace warden::policy {

const std::vector<std::string>& common_given_names();

// The surname must look like one: not a common capitalised non-name word (The, Street,
// GmbH, Monday, ...), not all capitals, and the name must end at a word boundary.
bool validate_given_name_person(Candidate& c);

}  // namespace warden::policy
