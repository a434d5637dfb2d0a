// UTF-8 validation and encoding helpers (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace warden::core {

// Length of the valid UTF-8 sequence starting at s[0], or 0 when s[0] does not start one
// (or the sequence is truncated). s must not be empty.
size_t utf8_sequence_length(std::string_view s);

// Byte offset of the first invalid byte, or npos when `s` is valid UTF-8.
size_t utf8_invalid_offset(std::string_view s);
inline bool utf8_valid(std::string_view s) { return utf8_invalid_offset(s) == std::string_view::npos; }

// Appends the UTF-8 encoding of `code_point` (must be a scalar value).
void utf8_append(std::string& out, char32_t code_point);

// Length of the longest prefix of `s` that ends on a character boundary, treating a
// truncated sequence at the end as incomplete (used by streams to hold back half a char).
size_t utf8_complete_prefix(std::string_view s);

}  // namespace warden::core
