#include "policy/entity_type.h"

#include <array>

namespace warden::policy {
namespace {

constexpr std::array<std::string_view, kBuiltinEntityCount> kNames = {
    "PRIVATE_KEY", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "GITHUB_TOKEN", "SLACK_TOKEN",
    "JWT",         "API_KEY",        "PASSWORD",       "CREDIT_CARD",  "IBAN_CODE",
    "US_SSN",      "CRYPTO",         "EMAIL_ADDRESS",  "PHONE_NUMBER", "IP_ADDRESS",
    "DATE_TIME",   "PERSON",         "LOCATION",       "URL"};

}  // namespace

std::string_view builtin_entity_name(EntityId id) {
  if (id < 0 || id >= kBuiltinEntityCount) return {};
  return kNames[static_cast<size_t>(id)];
}

std::optional<EntityId> builtin_entity_by_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<EntityId>(i);
  }
  return std::nullopt;
}

bool is_valid_entity_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (name[0] < 'A' || name[0] > 'Z') return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace warden::policy
