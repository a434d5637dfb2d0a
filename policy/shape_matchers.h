// Hand-written anchored matchers for the builtin patterns of a fixed shape: card numbers,
// IBANs, US SSNs and IPv4 addresses. Each gives the same match as RE2's leftmost-longest
// anchored match of the pattern's regex (RE2's \b: ASCII word bytes), without RE2's per-call
// setup. The detector uses them where PatternSpec::shape_match is set;
// tests/policy/shape_matchers_test.cpp compares them with RE2 on random text.
#pragma once

#include <cstddef>
#include <string_view>

namespace warden::policy {

// `subject`: the text up to the match limit (bytes before `start` are context for \b).
// Whether the pattern matches at `start`; `end`: where the match ends.
using ShapeMatchFn = bool (*)(std::string_view subject, size_t start, size_t& end);

bool match_card_number(std::string_view subject, size_t start, size_t& end);  // \b\d(?:[ \-]?\d){12,18}\b
bool match_iban(std::string_view subject, size_t start, size_t& end);  // \b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b
bool match_us_ssn(std::string_view subject, size_t start, size_t& end);  // \b\d{3}[ \-]?\d{2}[ \-]?\d{4}\b
bool match_ipv4(std::string_view subject, size_t start, size_t& end);    // \b(?:\d{1,3}\.){3}\d{1,3}\b

}  // namespace warden::policy
