// YAML → Json, so configuration files and policy documents share one tree and one
// validator whichever format an admin writes. Uses libyaml's parser (YAML 1.1 events).
#pragma once

#include <stdexcept>
#include <string_view>

#include "core/json.h"

namespace warden::core {

class YamlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses one YAML document. Plain scalars become null/bool/int/double when they read
// as such (null, ~, true/false, yes/no are NOT booleans here: only true/false), quoted
// scalars stay strings. Anchors/aliases and multiple documents are rejected, as are
// duplicate keys. Errors name line and column.
Json parse_yaml(std::string_view text);

// Reads a file and parses it as JSON when the name ends in .json, else as YAML.
Json load_document_file(const std::string& path);

}  // namespace warden::core
