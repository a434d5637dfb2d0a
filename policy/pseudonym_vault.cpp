#include "policy/pseudonym_vault.h"

#include <cctype>

namespace warden::policy {

std::string PseudonymVault::normalize(std::string_view type_name, std::string_view value) {
  std::string v(value);
  // Addresses differ only by case are the same mailbox.
  if (type_name == "EMAIL_ADDRESS") {
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return v;
}

std::string PseudonymVault::placeholder_for(std::string_view type_name, std::string_view value) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto key = std::make_pair(std::string(type_name), normalize(type_name, value));
  auto it = by_value_.find(key);
  if (it != by_value_.end()) return it->second;
  int n = ++counters_[std::string(type_name)];
  std::string placeholder = "<" + std::string(type_name) + "_" + std::to_string(n) + ">";
  by_value_.emplace(std::move(key), placeholder);
  by_placeholder_.emplace(placeholder, std::make_pair(std::string(value), by_placeholder_.size()));
  return placeholder;
}

std::optional<std::string> PseudonymVault::original_of(std::string_view placeholder,
                                                      size_t issued_before) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_placeholder_.find(placeholder);
  if (it == by_placeholder_.end() || it->second.second >= issued_before) return std::nullopt;
  return it->second.first;
}

std::optional<size_t> PseudonymVault::sequence_of(std::string_view type_name, std::string_view value) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_value_.find({std::string(type_name), normalize(type_name, value)});
  if (it == by_value_.end()) return std::nullopt;
  return by_placeholder_.find(it->second)->second.second;
}

size_t PseudonymVault::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return by_placeholder_.size();
}

}  // namespace warden::policy
