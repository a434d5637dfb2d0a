#include "store_fixture.h"

namespace store_test {

std::string research_policy(const std::string& phrases, const std::string& description, bool pii_detectors) {
  return "description: " + description +
         "\n"
         "bindings:\n"
         "  teams: [research]\n"
         "guardrails:\n"
         "  input:\n"
         "    - id: no-topics\n"
         "      kind: deny_topics\n"
         "      phrases: [" + phrases + "]\n"
         "      action: block\n" +
         (pii_detectors ? "" : "redaction:\n  default_action: allow\n");
}

}  // namespace store_test
