// Validators run after a pattern matched: checksums, ranges and context decide whether a
// candidate is a finding and how sure we are. They may narrow the value span.
#pragma once

#include <cstddef>
#include <string_view>

#include "policy/entity_type.h"

namespace warden::policy {

// What a validator sees. `text` is the whole scanned text so neighbours can be checked;
// validators may look at most 2 bytes past the end of the pattern match (the streaming
// pending rules cover that much) and at most Detector::kLookback - 64 bytes before it.
struct Candidate {
  std::string_view text;
  size_t match_start = 0;
  size_t value_start = 0;
  size_t value_end = 0;
  double score = 0.0;
  // An optional second finding produced by the same match (URL credentials).
  EntityId extra_type = -1;
  size_t extra_start = 0;
  size_t extra_end = 0;

  std::string_view value() const { return text.substr(value_start, value_end - value_start); }
  char before(size_t back) const {  // byte `back` positions before the value, or 0
    return value_start >= back ? text[value_start - back] : '\0';
  }
  char after(size_t ahead) const {  // byte at value_end + ahead - 1, or 0
    size_t i = value_end + ahead - 1;
    return i < text.size() ? text[i] : '\0';
  }
};

using ValidatorFn = bool (*)(Candidate& candidate);

constexpr size_t kContextLookback = 48;

bool is_ascii_alnum(char c);
bool is_word_byte(char c);  // ASCII alnum, '_' or any byte >= 0x80

bool validate_email(Candidate& c);
bool validate_url(Candidate& c);
bool validate_ipv4(Candidate& c);
bool validate_ipv6(Candidate& c);
bool validate_credit_card(Candidate& c);
bool validate_iban(Candidate& c);
bool validate_ssn(Candidate& c);
bool validate_phone(Candidate& c);
bool validate_birth_date(Candidate& c);
bool validate_person(Candidate& c);
bool validate_btc(Candidate& c);
bool validate_aws_secret(Candidate& c);
bool validate_jwt(Candidate& c);
bool validate_api_key(Candidate& c);
bool validate_password(Candidate& c);
bool validate_token_boundary(Candidate& c);

}  // namespace warden::policy
