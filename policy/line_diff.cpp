#include "policy/line_diff.h"

#include <algorithm>
#include <cstdint>

namespace warden::policy {
namespace {

// One line of the edit script: kept, removed from `before`, or added from `after`.
struct Edit {
  char op;        // ' ' | '-' | '+'
  size_t before;  // index into the before lines (for ' ' and '-')
  size_t after;   // index into the after lines (for ' ' and '+')
};

// Bound on the trace Myers keeps (ints); beyond it the middle is replaced wholesale.
constexpr size_t kMaxTraceInts = size_t{8} << 20;

// Myers' greedy shortest edit script between a[0..n) and b[0..m) (already without the
// common prefix and suffix). Appends edits with indices offset by `a0`, `b0`.
void myers(const std::vector<std::string_view>& a, size_t a0, size_t n, const std::vector<std::string_view>& b,
           size_t b0, size_t m, std::vector<Edit>& out) {
  const int64_t max = static_cast<int64_t>(n + m);
  const int64_t offset = max + 1;
  std::vector<int64_t> v(static_cast<size_t>(2 * max + 3), 0);
  // trace[d] holds v[k] for k in [-d-1, d+1] as it was before step d.
  std::vector<std::vector<int64_t>> trace;
  size_t trace_ints = 0;
  bool found = false;
  for (int64_t d = 0; d <= max && !found; ++d) {
    trace.emplace_back(v.begin() + (offset - d - 1), v.begin() + (offset + d + 2));
    trace_ints += trace.back().size();
    if (trace_ints > kMaxTraceInts) break;
    for (int64_t k = -d; k <= d; k += 2) {
      int64_t x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1]
                                                                                  : v[offset + k - 1] + 1;
      int64_t y = x - k;
      while (x < static_cast<int64_t>(n) && y < static_cast<int64_t>(m) && a[a0 + x] == b[b0 + y]) ++x, ++y;
      v[offset + k] = x;
      if (x >= static_cast<int64_t>(n) && y >= static_cast<int64_t>(m)) {
        found = true;
        break;
      }
    }
  }
  if (!found) {
    for (size_t i = 0; i < n; ++i) out.push_back({'-', a0 + i, b0});
    for (size_t j = 0; j < m; ++j) out.push_back({'+', a0 + n, b0 + j});
    return;
  }
  std::vector<Edit> reversed;
  int64_t x = static_cast<int64_t>(n), y = static_cast<int64_t>(m);
  for (int64_t d = static_cast<int64_t>(trace.size()) - 1; d >= 0; --d) {
    const std::vector<int64_t>& t = trace[static_cast<size_t>(d)];
    auto at = [&](int64_t k) { return t[static_cast<size_t>(k + d + 1)]; };
    const int64_t k = x - y;
    const int64_t prev_k = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1;
    const int64_t prev_x = d == 0 ? 0 : at(prev_k);
    const int64_t prev_y = d == 0 ? 0 : prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      --x, --y;
      reversed.push_back({' ', a0 + x, b0 + y});
    }
    if (d > 0) {
      if (x == prev_x) {
        reversed.push_back({'+', a0 + x, b0 + prev_y});
      } else {
        reversed.push_back({'-', a0 + prev_x, b0 + y});
      }
    }
    x = prev_x;
    y = prev_y;
  }
  out.insert(out.end(), reversed.rbegin(), reversed.rend());
}

std::string range(size_t start, size_t count) {
  // Unified format: a range of length 0 names the line before it.
  return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
}

}  // namespace

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string unified_diff(std::string_view before, std::string_view after, std::string_view before_label,
                         std::string_view after_label, int context) {
  const auto a = split_lines(before);
  const auto b = split_lines(after);
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix && a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  if (prefix == a.size() && prefix == b.size()) return "";

  std::vector<Edit> edits;
  for (size_t i = 0; i < prefix; ++i) edits.push_back({' ', i, i});
  myers(a, prefix, a.size() - prefix - suffix, b, prefix, b.size() - prefix - suffix, edits);
  for (size_t i = 0; i < suffix; ++i) edits.push_back({' ', a.size() - suffix + i, b.size() - suffix + i});

  const size_t ctx = static_cast<size_t>(std::max(0, context));
  std::string out;
  out.append("--- ").append(before_label).append("\n+++ ").append(after_label).append("\n");
  size_t i = 0;
  while (i < edits.size()) {
    while (i < edits.size() && edits[i].op == ' ') ++i;
    if (i == edits.size()) break;
    // A hunk: from `ctx` kept lines before the first change to `ctx` after the last one,
    // merging changes separated by at most 2 * ctx kept lines.
    size_t start = i >= ctx ? i - ctx : 0;
    size_t end = i;
    size_t last_change = i;
    while (end < edits.size()) {
      if (edits[end].op != ' ') {
        last_change = end;
      } else if (end - last_change > 2 * ctx) {
        break;
      }
      ++end;
    }
    end = std::min(edits.size(), last_change + 1 + ctx);
    size_t a_start = edits[start].before;
    size_t b_start = edits[start].after;
    size_t a_count = 0, b_count = 0;
    std::string body;
    for (size_t j = start; j < end; ++j) {
      const Edit& e = edits[j];
      body += e.op;
      if (e.op == '+') {
        body.append(b[e.after]);
        ++b_count;
      } else {
        body.append(a[e.before]);
        ++a_count;
        if (e.op == ' ') ++b_count;
      }
      body += '\n';
    }
    out.append("@@ -").append(range(a_start, a_count)).append(" +").append(range(b_start, b_count)).append(" @@\n");
    out += body;
    i = end;
  }
  return out;
}

}  // namespace warden::policy
