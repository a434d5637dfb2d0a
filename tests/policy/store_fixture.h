// Shared set-up for policy store tests: one throwaway PostgreSQL per test binary and a
// fresh, migrated database per test; policy documents used across the tests.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/test_pg.h"

namespace store_test {

using test_pg::cluster;
using test_pg::TempDir;
inline std::string fresh_database(const std::string& prefix = "policies") { return test_pg::fresh_database(prefix); }

// Binds team "research"; blocks the listed phrases in input. YAML. Without
// `pii_detectors` its redaction allows everything, which makes it compile in about a
// millisecond instead of a few hundred (the builtin detectors), keeping the tests quick.
std::string research_policy(const std::string& phrases, const std::string& description = "research policy",
                            bool pii_detectors = false);

}  // namespace store_test
