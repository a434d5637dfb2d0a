// GPT-2 byte-level alphabet: each of the 256 byte values is written as one printable
// Unicode character so that vocabulary entries are text. Used when loading tokenizer.json
// (vocab and merges are spelled in this alphabet) and when decoding ids back to bytes.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace warden::inference {

// The code point that stands for byte `b`.
char32_t byte_level_char(unsigned char b);

// UTF-8 spelling of byte `b`'s character.
const std::string& byte_level_spelling(unsigned char b);

// Maps a byte-level spelled token back to raw bytes; nullopt when it holds a character
// outside the alphabet (added tokens are spelled in plain text and are not mapped).
std::optional<std::string> byte_level_to_bytes(std::string_view spelled);

}  // namespace warden::inference
