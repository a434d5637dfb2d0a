#include "gateway/admin_policies.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <map>

#include "core/log.h"
#include "gateway/api_error.h"

namespace warden::gateway {
namespace {

using core::Json;
using policy::PolicyError;
using policy::PolicyStoreError;

constexpr size_t kMaxSamples = 1000;

HttpResponse json_response(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

void require_method(const HttpRequest& r, const char* allowed) {
  if (r.method == allowed) return;
  ApiError e(405, "method " + r.method + " is not allowed on " + r.path + " (allowed: " + allowed + ")",
             "invalid_request_error", "method_not_allowed");
  e.headers.push_back({"Allow", allowed});
  throw e;
}

// The body as a JSON object; an empty body is an empty object when `empty_ok`.
Json object_body(const HttpRequest& r, const std::vector<std::string>& known, bool empty_ok = false) {
  if (r.body.empty()) {
    if (empty_ok) return Json::object();
    throw ApiError::bad_request("the request body is empty; a JSON object is expected", std::nullopt, "invalid_json");
  }
  Json body;
  try {
    body = Json::parse(r.body, 64);
  } catch (const core::JsonError& e) {
    throw ApiError::bad_request(std::string("We could not parse the JSON body of your request: ") + e.what(),
                                std::nullopt, "invalid_json");
  }
  if (!body.is_object()) throw ApiError::bad_request(std::string("the body must be a JSON object, got ") + body.type_name());
  for (const auto& [key, value] : body.as_object()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw ApiError::bad_request("unknown field " + key + " (expected " + list + ")", key, "unknown_parameter");
    }
  }
  return body;
}

int64_t positive_version(const Json& v, const char* field) {
  if (!v.is_int() || v.as_int() < 1) throw ApiError::bad_request(std::string(field) + " must be a positive integer", field);
  return v.as_int();
}

std::optional<int64_t> version_param(const HttpRequest& r, const char* name) {
  std::string text = r.query_param(name);
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || value > (int64_t{1} << 40)) {
      throw ApiError::bad_request(std::string("query parameter ") + name + " must be a positive integer", name);
    }
    value = value * 10 + (c - '0');
  }
  if (value < 1) throw ApiError::bad_request(std::string("query parameter ") + name + " must be a positive integer", name);
  return value;
}

ApiError to_api_error(const PolicyStoreError& e) {
  switch (e.kind()) {
    case PolicyStoreError::Kind::kInvalidArgument:
      return ApiError::bad_request(e.what());
    case PolicyStoreError::Kind::kNotFound:
      return ApiError::not_found(e.what(), "policy_not_found");
    case PolicyStoreError::Kind::kConflict:
      return ApiError(409, e.what(), "invalid_request_error", "conflict");
  }
  return ApiError::bad_request(e.what());
}

// Runs a store call, turning its refusals into API errors.
template <typename F>
auto store_call(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const PolicyStoreError& e) {
    throw to_api_error(e);
  } catch (const pqxx::broken_connection&) {
    throw ApiError::unavailable("the policy store (database) is unavailable; try again", "database_unavailable");
  }
}

Json problems_json(const std::vector<std::string>& problems) {
  Json list = Json::array();
  for (const auto& p : problems) list.push_back(p);
  return list;
}

Json identity_json(const policy::PolicyIdentity& id) {
  Json out = Json::object();
  out["name"] = id.name;
  out["version"] = id.version;
  return out;
}

// dry_run names the sample "sample"; in a list it is "samples[i]".
std::vector<std::string> renamed_problems(const std::vector<std::string>& problems, size_t index) {
  std::vector<std::string> out;
  for (const auto& p : problems) {
    if (p.rfind("sample", 0) == 0) {
      out.push_back("samples[" + std::to_string(index) + "]" + p.substr(6));
    } else {
      out.push_back("samples[" + std::to_string(index) + "]: " + p);
    }
  }
  return out;
}

}  // namespace

HttpResponse invalid_policy_response(const std::vector<std::string>& problems, const std::string& code) {
  std::string message = code == "invalid_policy" ? "The policy is invalid" : "The sample is invalid";
  message += " (" + std::to_string(problems.size()) + (problems.size() == 1 ? " problem): " : " problems): ");
  for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
  HttpResponse r = ApiError::bad_request(message, std::nullopt, code).to_response();
  Json body = Json::parse(r.body);
  body["error"]["problems"] = problems_json(problems);
  r.body = body.dump();
  return r;
}

AdminPolicies::AdminPolicies(policy::PolicyStore& store, policy::PolicyRegistry& registry,
                             policy::TokenCounter count_tokens, AdminEventFn on_event)
    : store_(store), registry_(registry), count_tokens_(std::move(count_tokens)), on_event_(std::move(on_event)) {}

void AdminPolicies::event(const std::string& action, const Principal& actor, Json details, bool ok) {
  if (on_event_) on_event_(action, actor, std::move(details), ok);
}

HttpResponse AdminPolicies::handle(const HttpRequest& request, const Principal& admin, std::string_view rest_of_path) {
  std::string_view rest = rest_of_path;
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return list(request);
  const size_t slash = rest.find('/');
  const std::string name(rest.substr(0, slash));
  const std::string action(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
  if (std::string problem = policy::policy_name_problem(name); !problem.empty()) {
    throw ApiError::bad_request(problem, "name", "invalid_name");
  }
  if (action.empty()) {
    if (request.method == "POST") return save(request, admin, name);
    require_method(request, "GET");
    return get(request, name);
  }
  if (action == "versions") return versions(request, name);
  if (action == "history") return history(request, name);
  if (action == "activate") return activate(request, admin, name, false);
  if (action == "rollback") return activate(request, admin, name, true);
  if (action == "diff") return diff(request, name);
  if (action == "test") return test(request, name);
  throw ApiError::not_found("Unknown policy route " + request.path +
                                " (expected versions, history, activate, rollback, diff or test after the name)",
                            "unknown_url");
}

HttpResponse AdminPolicies::list(const HttpRequest& request) {
  require_method(request, "GET");
  auto summaries = store_call([&] { return store_.list(); });
  std::map<std::string, int64_t> serving;
  auto current = registry_.current();
  if (current) {
    for (const auto& p : current->active()) serving[p->identity().name] = p->identity().version;
  }
  Json data = Json::array();
  for (const auto& s : summaries) {
    Json item = s.to_json();
    auto it = serving.find(s.name);
    item["serving_version"] = it == serving.end() ? Json(nullptr) : Json(it->second);
    data.push_back(std::move(item));
  }
  Json out = Json::object();
  out["object"] = "list";
  out["data"] = std::move(data);
  out["loaded"] = current != nullptr;
  out["fallback"] = identity_json(registry_.fallback()->identity());
  return json_response(200, out);
}

HttpResponse AdminPolicies::save(const HttpRequest& request, const Principal& admin, const std::string& name) {
  Json body = object_body(request, {"document", "source", "comment"});
  const Json* document = body.find("document");
  const Json* source = body.find("source");
  const Json* comment = body.find("comment");
  if ((document != nullptr) == (source != nullptr)) {
    throw ApiError::bad_request("give the policy either as \"document\" (a JSON object) or as \"source\" (YAML or JSON text)",
                                "document");
  }
  if (document && !document->is_object()) {
    throw ApiError::bad_request(std::string("document must be a JSON object, got ") + document->type_name(), "document");
  }
  if (source && !source->is_string()) {
    throw ApiError::bad_request(std::string("source must be a string, got ") + source->type_name(), "source");
  }
  if (comment && !comment->is_string()) throw ApiError::bad_request("comment must be a string", "comment");
  const std::string comment_text = comment ? comment->as_string() : "";

  Json details = Json::object();
  details["name"] = name;
  details["comment"] = comment_text;
  policy::SaveResult result;
  try {
    result = store_call([&] {
      return document ? store_.save_document(name, *document, admin.key_id, comment_text)
                      : store_.save(name, source->as_string(), admin.key_id, comment_text);
    });
  } catch (const PolicyError& e) {
    details["problems"] = problems_json(e.problems());
    event("policy.save", admin, std::move(details), false);
    return invalid_policy_response(e.problems());
  } catch (const ApiError& e) {
    details["error"] = e.what();
    event("policy.save", admin, std::move(details), false);
    throw;
  }
  details["version"] = result.version.version;
  details["content_hash"] = result.version.content_hash;
  details["created"] = result.created;
  event("policy.save", admin, std::move(details), true);
  core::log_info("policy saved", {{"policy", name}, {"version", result.version.version}, {"created", result.created},
                                  {"key_id", admin.key_id}});
  Json out = result.version.to_json();
  out["created"] = result.created;
  return json_response(result.created ? 201 : 200, out);
}

HttpResponse AdminPolicies::get(const HttpRequest& request, const std::string& name) {
  auto version = version_param(request, "version");
  auto v = store_call([&] { return store_.get(name, version); });
  return json_response(200, v.to_json());
}

HttpResponse AdminPolicies::versions(const HttpRequest& request, const std::string& name) {
  require_method(request, "GET");
  auto list = store_call([&] { return store_.versions(name); });
  Json data = Json::array();
  for (const auto& v : list) data.push_back(v.to_json());
  Json out = Json::object();
  out["object"] = "list";
  out["data"] = std::move(data);
  return json_response(200, out);
}

HttpResponse AdminPolicies::history(const HttpRequest& request, const std::string& name) {
  require_method(request, "GET");
  auto list = store_call([&] { return store_.history(name); });
  Json data = Json::array();
  for (const auto& a : list) {
    Json item = a.to_json();
    item.as_object().erase(std::remove_if(item.as_object().begin(), item.as_object().end(),
                                          [](const auto& kv) { return kv.first == "changed"; }),
                           item.as_object().end());
    data.push_back(std::move(item));
  }
  Json out = Json::object();
  out["object"] = "list";
  out["data"] = std::move(data);
  return json_response(200, out);
}

HttpResponse AdminPolicies::activate(const HttpRequest& request, const Principal& admin, const std::string& name,
                                     bool rollback) {
  require_method(request, "POST");
  const std::string action = rollback ? "policy.rollback" : "policy.activate";
  Json body = object_body(request, {"version"}, rollback);
  std::optional<int64_t> version;
  if (const Json* v = body.find("version"); v && !v->is_null()) version = positive_version(*v, "version");
  if (!rollback && !version) throw ApiError::bad_request("version is required (the version to activate)", "version");

  Json details = Json::object();
  details["name"] = name;
  details["version"] = version ? Json(*version) : Json(nullptr);
  policy::Activation activation;
  try {
    activation = store_call([&] {
      return rollback ? store_.rollback(name, admin.key_id, version) : store_.activate(name, *version, admin.key_id);
    });
  } catch (const PolicyError& e) {
    details["problems"] = problems_json(e.problems());
    event(action, admin, std::move(details), false);
    return invalid_policy_response(e.problems());
  } catch (const ApiError& e) {
    details["error"] = e.what();
    event(action, admin, std::move(details), false);
    throw;
  }
  details["version"] = activation.version;
  details["previous_version"] = activation.previous_version ? Json(*activation.previous_version) : Json(nullptr);
  details["changed"] = activation.changed;
  event(action, admin, std::move(details), true);
  core::log_info(rollback ? "policy rolled back" : "policy activated",
                 {{"policy", name}, {"version", activation.version}, {"changed", activation.changed}, {"key_id", admin.key_id}});

  // Serve it here before answering; other gateways follow through NOTIFY.
  auto reload = registry_.reload();
  Json out = activation.to_json();
  Json r = Json::object();
  r["ok"] = reload.ok;
  r["problems"] = problems_json(reload.problems);
  Json serving = Json::array();
  for (const auto& id : reload.active) serving.push_back(identity_json(id));
  r["serving"] = std::move(serving);
  out["reload"] = std::move(r);
  return json_response(200, out);
}

HttpResponse AdminPolicies::diff(const HttpRequest& request, const std::string& name) {
  require_method(request, "GET");
  auto from = version_param(request, "from");
  auto to = version_param(request, "to");
  if (!to) to = store_call([&] { return store_.get(name).info.version; });
  if (!from) from = store_call([&] { return store_.active_version(name); }).value_or(*to);
  std::string text = store_call([&] { return store_.diff(name, *from, *to); });
  if (request.query_param("format") == "text") {
    HttpResponse r;
    r.content_type = "text/x-diff; charset=utf-8";
    r.body = text;
    return r;
  }
  Json out = Json::object();
  out["name"] = name;
  out["from"] = *from;
  out["to"] = *to;
  out["identical"] = text.empty();
  out["diff"] = text;
  return json_response(200, out);
}

HttpResponse AdminPolicies::test(const HttpRequest& request, const std::string& name) {
  require_method(request, "POST");
  Json body = object_body(request, {"document", "source", "version", "sample", "samples"});
  const Json* document = body.find("document");
  const Json* source = body.find("source");
  const Json* version = body.find("version");
  const Json* sample = body.find("sample");
  const Json* samples = body.find("samples");
  if ((document != nullptr) + (source != nullptr) + (version != nullptr) > 1) {
    throw ApiError::bad_request("give at most one of document, source and version", "document");
  }
  if ((sample != nullptr) == (samples != nullptr)) {
    throw ApiError::bad_request("give either \"sample\" (one request) or \"samples\" (a list of requests)", "sample");
  }
  if (samples && (!samples->is_array() || samples->size() == 0 || samples->size() > kMaxSamples)) {
    throw ApiError::bad_request("samples must be a list of 1 to " + std::to_string(kMaxSamples) + " requests", "samples");
  }

  std::shared_ptr<const policy::CompiledPolicy> compiled;
  try {
    if (document || source) {
      if (document && !document->is_object()) {
        throw ApiError::bad_request(std::string("document must be a JSON object, got ") + document->type_name(), "document");
      }
      if (source && !source->is_string()) throw ApiError::bad_request("source must be a string", "source");
      Json parsed = document ? *document : policy::parse_policy_source(source->as_string());
      compiled = store_.compile(policy::canonical_policy_document(parsed), {name, 0});
    } else {
      std::optional<int64_t> wanted;
      if (version) wanted = positive_version(*version, "version");
      if (!wanted) {
        wanted = store_call([&] { return store_.active_version(name); });
        if (!wanted) {
          throw ApiError(409, "policy \"" + name + "\" has no active version; give a version or a document to test",
                         "invalid_request_error", "conflict");
        }
      }
      // The compiled policy this gateway serves, when it is that version.
      if (auto current = registry_.current()) {
        for (const auto& p : current->active()) {
          if (p->identity().name == name && p->identity().version == *wanted) compiled = p;
        }
      }
      if (!compiled) {
        auto stored = store_call([&] { return store_.get(name, wanted); });
        compiled = store_.compile(stored.document, {name, *wanted});
      }
    }
  } catch (const PolicyError& e) {
    return invalid_policy_response(e.problems());
  }

  if (sample) {
    try {
      return json_response(200, policy::dry_run(*compiled, *sample, count_tokens_));
    } catch (const PolicyError& e) {
      return invalid_policy_response(e.problems(), "invalid_sample");
    } catch (const policy::RedactionError& e) {
      throw ApiError(422, std::string("the sample could not be checked: ") + e.what(), "invalid_request_error",
                     "sample_unscannable", "sample");
    }
  }
  Json results = Json::array();
  std::vector<std::string> problems;
  for (size_t i = 0; i < samples->size(); ++i) {
    try {
      results.push_back(policy::dry_run(*compiled, (*samples)[i], count_tokens_));
    } catch (const PolicyError& e) {
      for (auto& p : renamed_problems(e.problems(), i)) problems.push_back(std::move(p));
    } catch (const policy::RedactionError& e) {
      problems.push_back("samples[" + std::to_string(i) + "]: could not be checked: " + e.what());
    }
  }
  if (!problems.empty()) return invalid_policy_response(problems, "invalid_sample");
  Json out = Json::object();
  out["policy"] = identity_json(compiled->identity());
  out["results"] = std::move(results);
  return json_response(200, out);
}

}  // namespace warden::gateway
