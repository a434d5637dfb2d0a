// Per-request (or per-conversation) map between original values and the placeholders
// that replaced them, so one value gets the same `<PERSON_1>` in every message and the
// model's answer can be turned back. Thread-safe; never logged, never persisted.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace warden::policy {

class PseudonymVault {
 public:
  // The placeholder for (type, value), issuing the next `<TYPE_n>` on first sight.
  std::string placeholder_for(std::string_view type_name, std::string_view value);
  // The original value for a placeholder this vault issued among its first
  // `issued_before` placeholders (all by default).
  std::optional<std::string> original_of(std::string_view placeholder,
                                         size_t issued_before = static_cast<size_t>(-1)) const;
  // Issue sequence number of the placeholder for (type, value), if any.
  std::optional<size_t> sequence_of(std::string_view type_name, std::string_view value) const;
  size_t size() const;

 private:
  static std::string normalize(std::string_view type_name, std::string_view value);

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::string> by_value_;  // (type, normalized)
  std::map<std::string, std::pair<std::string, size_t>, std::less<>> by_placeholder_;  // -> (value, seq)
  std::map<std::string, int, std::less<>> counters_;
};

}  // namespace warden::policy
