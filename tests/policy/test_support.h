// Shared helpers for the policy tests: policies built in code and data file access.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "core/json.h"
#include "policy/redaction_config.h"
#include "policy/redactor.h"

namespace warden::policy::testing {

inline std::string source_path(const std::string& relative) {
  return std::string(WARDEN_SOURCE_DIR) + "/" + relative;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every type detected and masked (nothing allowed), default thresholds.
inline std::shared_ptr<const Redactor> all_mask_redactor() {
  core::Json section = core::Json::parse(R"({"default_action": "mask", "threshold": 0.5})");
  return Redactor::compile(RedactionConfig::from_json(section));
}

// The shipped default policy (JSON form).
inline std::shared_ptr<const Redactor> default_redactor() {
  core::Json doc = core::Json::parse(read_file(source_path("policy/defaults/default.json")));
  return Redactor::compile(RedactionConfig::from_policy_document(doc));
}

}  // namespace warden::policy::testing
