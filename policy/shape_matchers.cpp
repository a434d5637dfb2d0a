#include "policy/shape_matchers.h"

namespace warden::policy {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper_alnum(char c) { return is_digit(c) || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_upper_alnum(c) || (c >= 'a' && c <= 'z') || c == '_'; }  // RE2's \b

// \b before a word byte at `start`.
bool word_starts(std::string_view t, size_t start) { return start == 0 || !is_word(t[start - 1]); }
// \b after a word byte at end - 1.
bool word_ends(std::string_view t, size_t end) { return end >= t.size() || !is_word(t[end]); }

size_t digit_run(std::string_view t, size_t from) {
  size_t k = from;
  while (k < t.size() && is_digit(t[k])) ++k;
  return k - from;
}

// The walk of a repeated step "optional separator, then one unit" from `from`: each step is
// forced (at a unit byte the separator is absent; at a separator followed by a unit it must
// be taken), so the walk has one way through. ends[k]: where k steps end (k <= max_steps).
template <class Unit, class Separator>
size_t walk_steps(std::string_view t, size_t from, size_t max_steps, size_t* ends, Unit unit, Separator separator) {
  size_t q = from, steps = 0;
  while (steps < max_steps) {
    if (q < t.size() && unit(t[q])) {
      q += 1;
    } else if (q + 1 < t.size() && separator(t[q]) && unit(t[q + 1])) {
      q += 2;
    } else {
      break;
    }
    ends[++steps] = q;
  }
  return steps;
}

// The longest of steps min_steps .. steps that ends at a word boundary.
bool longest_at_boundary(std::string_view t, const size_t* ends, size_t steps, size_t min_steps, size_t& end) {
  for (size_t k = steps; k >= min_steps && k > 0; --k) {
    if (word_ends(t, ends[k])) {
      end = ends[k];
      return true;
    }
  }
  return false;
}

}  // namespace

bool match_card_number(std::string_view t, size_t start, size_t& end) {
  if (start >= t.size() || !is_digit(t[start]) || !word_starts(t, start)) return false;
  size_t ends[19];
  const size_t steps = walk_steps(t, start + 1, 18, ends, is_digit, [](char c) { return c == ' ' || c == '-'; });
  return longest_at_boundary(t, ends, steps, 12, end);
}

bool match_iban(std::string_view t, size_t start, size_t& end) {
  if (start >= t.size() || t.size() - start < 4 || !word_starts(t, start)) return false;
  if (!(t[start] >= 'A' && t[start] <= 'Z') || !(t[start + 1] >= 'A' && t[start + 1] <= 'Z') ||
      !is_digit(t[start + 2]) || !is_digit(t[start + 3]))
    return false;
  size_t ends[31];
  const size_t steps = walk_steps(t, start + 4, 30, ends, is_upper_alnum, [](char c) { return c == ' '; });
  return longest_at_boundary(t, ends, steps, 11, end);
}

bool match_us_ssn(std::string_view t, size_t start, size_t& end) {
  if (start >= t.size() || !word_starts(t, start)) return false;
  size_t q = start;
  const size_t groups[3] = {3, 2, 4};
  for (size_t g = 0; g < 3; ++g) {
    // The separator is optional; where one stands it must be taken (a digit must follow).
    if (g > 0 && q < t.size() && (t[q] == ' ' || t[q] == '-')) ++q;
    for (size_t d = 0; d < groups[g]; ++d, ++q)
      if (q >= t.size() || !is_digit(t[q])) return false;
  }
  if (!word_ends(t, q)) return false;
  end = q;
  return true;
}

bool match_ipv4(std::string_view t, size_t start, size_t& end) {
  if (start >= t.size() || !word_starts(t, start)) return false;
  size_t q = start;
  for (int part = 0; part < 4; ++part) {
    // A part is the whole run of digits: a '.' (or, for the last, a boundary) must follow,
    // and inside a longer run neither does.
    const size_t run = digit_run(t, q);
    if (run == 0 || run > 3) return false;
    q += run;
    if (part < 3) {
      if (q >= t.size() || t[q] != '.') return false;
      ++q;
    }
  }
  if (!word_ends(t, q)) return false;
  end = q;
  return true;
}

}  // namespace warden::policy
