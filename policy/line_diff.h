// A small line diff (Myers' O((N+M)D) algorithm) printed in the unified format, for
// `warden policy diff` and GET /admin/v1/policies/{name}/diff. Policy documents are small,
// so the diff keeps the whole edit trace; past a size bound it still returns a correct
// (though not minimal) diff: the differing middle as one deletion and one insertion.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace warden::policy {

// Splits on '\n'; a final newline does not start an extra empty line.
std::vector<std::string_view> split_lines(std::string_view text);

// Unified diff of `before` and `after` with `context` lines around each change, headed by
// "--- before_label" / "+++ after_label". Empty string when the texts are equal.
std::string unified_diff(std::string_view before, std::string_view after, std::string_view before_label,
                         std::string_view after_label, int context = 3);

}  // namespace warden::policy
