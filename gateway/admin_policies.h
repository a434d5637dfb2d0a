// The admin policy API: /admin/v1/policies and below. The router authenticates the admin
// and hands over the path after "/admin/v1/policies" ("", "/default", "/default/activate").
//
//   GET  /admin/v1/policies                      every policy: latest, active and served version
//   POST /admin/v1/policies/{name}               {"document": {...}} | {"source": "yaml or json"}, "comment"?
//                                                -> 201 new version (200 when identical to the latest)
//   GET  /admin/v1/policies/{name}[?version=N]   one version with its source and canonical document
//   GET  /admin/v1/policies/{name}/versions      every version, oldest first
//   GET  /admin/v1/policies/{name}/history       every activation and rollback, oldest first
//   POST /admin/v1/policies/{name}/activate      {"version": N}
//   POST /admin/v1/policies/{name}/rollback      {"version"?: N} (default: the previously active one)
//   GET  /admin/v1/policies/{name}/diff?from=A&to=B  unified diff (defaults: from = active, to = latest)
//   POST /admin/v1/policies/{name}/test          {"document" | "source" | "version"?, "sample" | "samples"}
//                                                -> dry run, no model call (default: the active version)
//
// An invalid document answers 400 {"error": {"code": "invalid_policy", "message": <every
// problem>, "problems": [...], ...}}. Activations reload this process's registry before
// answering, so the next request here already uses the new version; other gateways follow
// through NOTIFY.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "gateway/http_types.h"
#include "gateway/key_store.h"
#include "policy/policy.h"
#include "policy/policy_registry.h"
#include "policy/policy_store.h"

namespace warden::gateway {

// Told about every save, activate and rollback, successful or refused (ok = false), so
// the caller can write the admin audit event. `details`: name, version, content hash, ...
using AdminEventFn =
    std::function<void(const std::string& action, const Principal& actor, core::Json details, bool ok)>;

class AdminPolicies {
 public:
  AdminPolicies(policy::PolicyStore& store, policy::PolicyRegistry& registry, policy::TokenCounter count_tokens,
                AdminEventFn on_event);

  // Throws ApiError for refusals the router turns into OpenAI-shaped errors; returns the
  // invalid-policy response itself (it carries the "problems" list).
  HttpResponse handle(const HttpRequest& request, const Principal& admin, std::string_view rest_of_path);

 private:
  HttpResponse list(const HttpRequest& request);
  HttpResponse save(const HttpRequest& request, const Principal& admin, const std::string& name);
  HttpResponse get(const HttpRequest& request, const std::string& name);
  HttpResponse versions(const HttpRequest& request, const std::string& name);
  HttpResponse history(const HttpRequest& request, const std::string& name);
  HttpResponse activate(const HttpRequest& request, const Principal& admin, const std::string& name, bool rollback);
  HttpResponse diff(const HttpRequest& request, const std::string& name);
  HttpResponse test(const HttpRequest& request, const std::string& name);
  void event(const std::string& action, const Principal& actor, core::Json details, bool ok);

  policy::PolicyStore& store_;
  policy::PolicyRegistry& registry_;
  policy::TokenCounter count_tokens_;
  AdminEventFn on_event_;
};

// 400 invalid_policy with the problems listed in the message and as "problems".
HttpResponse invalid_policy_response(const std::vector<std::string>& problems, const std::string& code = "invalid_policy");

}  // namespace warden::gateway
