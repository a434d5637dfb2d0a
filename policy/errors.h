// Error types of the policy module.
//
// PolicyError: a policy document (or a custom entity in it) is invalid; `problems()`
// lists every problem as "path: reason". RedactionError: the detector could not run on a
// text; callers must refuse the request (fail closed), never pass the text on unscanned.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace warden::policy {

class PolicyError : public std::runtime_error {
 public:
  explicit PolicyError(std::vector<std::string> problems)
      : std::runtime_error(join(problems)), problems_(std::move(problems)) {}
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  static std::string join(const std::vector<std::string>& problems) {
    std::string out = problems.size() == 1 ? "invalid policy: " : "invalid policy (" +
                                                                      std::to_string(problems.size()) +
                                                                      " problems): ";
    for (size_t i = 0; i < problems.size(); ++i) {
      if (i) out += "; ";
      out += problems[i];
    }
    return out;
  }
  std::vector<std::string> problems_;
};

class RedactionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace warden::policy
