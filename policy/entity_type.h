// Entity type names (Microsoft Presidio's vocabulary) and their fixed priority order.
//
// Builtin types have ids 0..kBuiltinEntityCount-1; custom entities declared in a policy
// get the ids after them. A lower id wins an overlap tie (secrets before personal data).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace warden::policy {

using EntityId = int;

enum BuiltinEntity : EntityId {
  kPrivateKey = 0,
  kAwsAccessKey,
  kAwsSecretKey,
  kGithubToken,
  kSlackToken,
  kJwt,
  kApiKey,
  kPassword,
  kCreditCard,
  kIbanCode,
  kUsSsn,
  kCrypto,
  kEmailAddress,
  kPhoneNumber,
  kIpAddress,
  kDateTime,
  kPerson,
  kLocation,
  kUrl,
  kBuiltinEntityCount
};

// "EMAIL_ADDRESS" for kEmailAddress.
std::string_view builtin_entity_name(EntityId id);
std::optional<EntityId> builtin_entity_by_name(std::string_view name);

// Entity names in policies: upper-case ASCII letters, digits and '_', starting with a letter.
bool is_valid_entity_name(std::string_view name);

}  // namespace warden::policy
