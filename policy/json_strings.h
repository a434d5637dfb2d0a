// Internal: the string values of a JSON text, with their byte ranges and JSON paths, so a
// stage can scan each value as text and write changed values back into the ORIGINAL text.
// Key order, whitespace, numbers and untouched strings stay byte for byte as sent; only a
// changed value is re-encoded (proper JSON escaping), so the result is valid JSON again.
//
// Used by the input stage (tool-call arguments, tool parameter schemas) and by
// OutputFilter::check_tool_call (the arguments of a call the model makes).
//
//   auto values = json_string_values(arguments);   // nullopt: not JSON, scan it as text
//   for (auto& v : *values) replacements.push_back(scan(v.value));
//   std::string out = splice_json_strings(arguments, *values, replacements);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden::policy {

// One string value (object keys are not values) of a JSON text.
struct JsonStringValue {
  size_t start = 0;   // byte range of the literal in the text, quotes included
  size_t end = 0;
  std::string path;   // ".city", ".items[2].name", "[0]", `["first name"]`; "" for a top-level string
  std::string value;  // decoded
};

// The string values of `text` in text order, or nullopt when `text` is not valid JSON
// (core::Json::parse decides: strict RFC 8259, valid UTF-8, nesting up to 256 levels).
std::optional<std::vector<JsonStringValue>> json_string_values(std::string_view text);

// How an object key extends a path: `.name` for a key of letters, digits, `_`, `-` and
// `$` that does not start with a digit or `-`; otherwise `["..."]` with the key JSON-quoted.
std::string json_path_key(std::string_view key);

// `text` with the literal of values[i] replaced by the JSON encoding of replacements[i]
// wherever replacements[i] differs from values[i].value; every other byte is kept.
// `values` must come from json_string_values(text); the two vectors have the same size.
std::string splice_json_strings(std::string_view text, const std::vector<JsonStringValue>& values,
                                const std::vector<std::string>& replacements);

}  // namespace warden::policy
