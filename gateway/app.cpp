#include "gateway/app.h"

#include <sodium.h>

#include <chrono>
#include <ctime>

#include "audit/record.h"
#include "core/log.h"
#include "gateway/admin_policies.h"
#include "gateway/api_error.h"
#include "gateway/audit_api.h"
#include "gateway/chat_stream.h"

namespace warden::gateway {
namespace {

using Clock = std::chrono::steady_clock;

HttpResponse json_response(int status, const core::Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

// The route label for metrics: fixed strings, never raw paths (ids would explode labels).
std::string route_label(const HttpRequest& r) {
  const std::string& p = r.path;
  auto starts = [&](const char* prefix) { return p.rfind(prefix, 0) == 0; };
  if (p == "/v1/chat/completions") return p;
  if (p == "/v1/models") return p;
  if (starts("/v1/models/")) return "/v1/models/{id}";
  if (p == "/healthz" || p == "/readyz" || p == "/metrics") return p;
  if (starts("/admin/v1/keys")) return "/admin/v1/keys";
  if (starts("/admin/v1/teams")) return "/admin/v1/teams";
  if (starts("/admin/v1/policies")) return "/admin/v1/policies";
  if (starts("/audit/v1/")) return "/audit/v1";
  return "other";
}

void require_method(const HttpRequest& r, std::initializer_list<const char*> allowed) {
  for (const char* m : allowed) {
    if (r.method == m) return;
  }
  std::string list;
  for (const char* m : allowed) list += (list.empty() ? "" : ", ") + std::string(m);
  ApiError e(405, "method " + r.method + " is not allowed on " + r.path + " (allowed: " + list + ")",
             "invalid_request_error", "method_not_allowed");
  e.headers.push_back({"Allow", list});
  throw e;
}

core::Json parse_body(const HttpRequest& r) {
  if (r.body.empty()) throw ApiError::bad_request("the request body is empty; a JSON object is expected", std::nullopt, "invalid_json");
  try {
    return core::Json::parse(r.body, 64);
  } catch (const core::JsonError& e) {
    throw ApiError::bad_request(std::string("We could not parse the JSON body of your request: ") + e.what(),
                                std::nullopt, "invalid_json");
  }
}

std::optional<int64_t> optional_positive(const core::Json& body, const char* field) {
  const core::Json* v = body.find(field);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_int() || v->as_int() < 1) throw ApiError::bad_request(std::string(field) + " must be a positive integer", field);
  return v->as_int();
}

}  // namespace

void register_gateway_metrics(Metrics& m) {
  m.add_counter("warden_http_requests_total", "HTTP requests by route and status.");
  m.add_histogram("warden_http_request_duration_seconds", "Time from request read to response end, by route.",
                  {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60});
  m.add_counter("warden_tokens_total", "Tokens processed, by direction (prompt, completion).");
  m.add_counter("warden_rate_limited_total", "Requests refused by a rate limit, by kind.");
  m.add_counter("warden_auth_outage_total",
                "Authentications during database outages, by result (remembered = a key verified within "
                "database.auth_outage_grace_s was let in; refused = 503 key_store_unavailable).");
  register_chain_metrics(m);
  register_audit_metrics(m);
}

App::App(AppDeps deps) : deps_(std::move(deps)), audit_(deps_.audit, deps_.metrics) {
  if (deps_.policy_store && deps_.policy_registry) {
    admin_policies_ = std::make_unique<AdminPolicies>(
        *deps_.policy_store, *deps_.policy_registry, backend_token_counter(deps_.backend),
        [this](const std::string& action, const Principal& actor, core::Json details, bool ok) {
          record_admin(actor, action, std::move(details), ok);
        });
  }
  if (deps_.audit && !deps_.audit_conninfo.empty()) {
    AuditApiOptions options;
    options.trusted_signing_keys = deps_.trusted_signing_keys;
    options.checkpoint_file = deps_.checkpoint_file;
    audit_api_ = std::make_unique<AuditApi>(deps_.audit_conninfo, *deps_.audit, deps_.metrics, options);
  }
}

App::~App() = default;

void App::require_audit() const {
  if (audit_.available()) return;
  deps_.metrics->increment("warden_audit_unavailable_total");
  throw ApiError::unavailable("The audit log cannot take records right now, so requests are refused. Try again later.",
                              "audit_unavailable");
}

void App::record_admin(const Principal& actor, const std::string& action, core::Json details, bool ok) {
  audit::AuditRecord record = audit::make_event_record("admin", action, actor.key_id, actor.team, role_name(actor.role),
                                                       ok ? "ok" : "denied", std::move(details));
  record.header.route = "/admin/v1";
  if (!audit_.record_and_wait(std::move(record))) {
    throw ApiError::unavailable("The change was made but its audit record could not be stored; check the audit log health.",
                                "audit_unavailable");
  }
}

void App::count_early_error(int status) {
  deps_.metrics->increment("warden_http_requests_total", {{"route", "unparsed"}, {"status", std::to_string(status)}});
}

Principal App::authenticate(const HttpRequest& request, Role needed) const {
  const std::string* header = request.header("authorization");
  if (!header) {
    throw ApiError::unauthorized(
        "You didn't provide an API key. Send it in the Authorization header: 'Authorization: Bearer YOUR_KEY'.");
  }
  std::string_view value(*header);
  if (value.size() < 7 || strncasecmp(value.data(), "Bearer ", 7) != 0) {
    throw ApiError::unauthorized("The Authorization header must be 'Bearer YOUR_KEY'.");
  }
  value.remove_prefix(7);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  std::variant<Principal, KeyStore::Refusal> result;
  try {
    result = deps_.keys->authenticate(value);
  } catch (const KeyStoreUnavailable& e) {
    deps_.metrics->increment("warden_auth_outage_total", {{"result", "refused"}});
    core::log_warn("API key not verifiable: the database is unreachable", {{"route", request.path}, {"error", e.what()}});
    throw ApiError::unavailable("The key store cannot be reached right now; try again shortly.", "key_store_unavailable");
  }
  if (auto* refusal = std::get_if<KeyStore::Refusal>(&result)) throw ApiError::unauthorized(refusal->message);
  Principal principal = std::get<Principal>(result);
  if (principal.role != needed) {
    // A known key knocking on another role's door: on record before the answer goes out.
    core::Json details = core::Json::object();
    details["method"] = request.method;
    details["path"] = request.path;
    details["needed_role"] = role_name(needed);
    audit::AuditRecord record = audit::make_event_record("request", "access.denied", principal.key_id, principal.team,
                                                         role_name(principal.role), "failed", std::move(details));
    record.header.route = route_label(request);
    record.header.http_status = 403;
    record.header.client_addr = request.remote_address;
    if (!audit_.record_and_wait(std::move(record))) {
      throw ApiError::unavailable("The request could not be recorded in the audit log.", "audit_unavailable");
    }
    throw ApiError::forbidden(std::string("This key has the role '") + role_name(principal.role) + "'; " + request.path +
                              " needs the role '" + role_name(needed) + "'.");
  }
  return principal;
}

void App::check_rate_limit(const Principal& principal, int64_t estimated_tokens) {
  RateLimits limits = limits_for(principal);
  if (int64_t wait = limiter_.try_acquire(principal.key_id, limits, estimated_tokens)) {
    deps_.metrics->increment("warden_rate_limited_total", {{"kind", "key"}});
    ApiError e(429, "Rate limit reached for key " + principal.key_id + " (" + std::to_string(limits.requests_per_minute) +
                        " requests and " + std::to_string(limits.tokens_per_minute) + " tokens per minute). Retry after " +
                        std::to_string(wait) + " s.",
               "requests", "rate_limit_exceeded");
    e.headers.push_back({"Retry-After", std::to_string(wait)});
    throw e;
  }
}

RateLimits App::limits_for(const Principal& p) const {
  RateLimits limits;
  limits.requests_per_minute = p.requests_per_minute.value_or(deps_.config.limits.requests_per_minute);
  limits.tokens_per_minute = p.tokens_per_minute.value_or(deps_.config.limits.tokens_per_minute);
  return limits;
}

void App::handle(const HttpRequest& request, std::shared_ptr<Responder> responder) {
  const auto started = Clock::now();
  const std::string route = route_label(request);
  auto done = [this, route, started](int status) {
    deps_.metrics->increment("warden_http_requests_total", {{"route", route}, {"status", std::to_string(status)}});
    deps_.metrics->observe("warden_http_request_duration_seconds", {{"route", route}},
                           std::chrono::duration<double>(Clock::now() - started).count());
  };
  auto reply = [&](HttpResponse response) {
    int status = response.status;
    responder->send(std::move(response));
    done(status);
  };
  try {
    const std::string& p = request.path;
    if (p == "/healthz") {
      require_method(request, {"GET"});
      core::Json body = core::Json::object();
      body["status"] = "ok";
      return reply(json_response(200, body));
    }
    if (p == "/readyz") {
      require_method(request, {"GET"});
      bool db = deps_.database_ready && deps_.database_ready();
      bool model = deps_.backend && deps_.backend->ready();
      core::Json body = core::Json::object();
      body["status"] = db && model ? "ready" : "not_ready";
      body["database"] = db;
      body["model"] = model;
      return reply(json_response(db && model ? 200 : 503, body));
    }
    if (p == "/metrics") {
      require_method(request, {"GET"});
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4";
      if (deps_.audit) update_audit_metrics(*deps_.metrics, deps_.audit->stats());
      if (deps_.keys) {
        deps_.metrics->set("warden_auth_outage_total", {{"result", "remembered"}},
                           static_cast<double>(deps_.keys->outage_authentications()));
      }
      r.body = deps_.metrics->render();
      return reply(std::move(r));
    }
    if (p.rfind("/v1/", 0) == 0) {
      Principal principal = authenticate(request, Role::kUser);
      if (p == "/v1/chat/completions") {
        require_method(request, {"POST"});
        return chat_completions(request, principal, responder, done);  // rate limits inside, on record
      }
      check_rate_limit(principal, 0);
      if (p == "/v1/models") return reply(models(request, ""));
      if (p.rfind("/v1/models/", 0) == 0) return reply(models(request, p.substr(11)));
      throw ApiError::not_found("Unknown API route " + p, "unknown_url");
    }
    if (p.rfind("/admin/v1/", 0) == 0) {
      Principal admin = authenticate(request, Role::kAdmin);
      if (request.method != "GET") require_audit();
      if (p == "/admin/v1/keys") return reply(admin_keys(request, admin, ""));
      if (p.rfind("/admin/v1/keys/", 0) == 0) return reply(admin_keys(request, admin, p.substr(15)));
      if (p == "/admin/v1/teams") return reply(admin_teams(request, admin, ""));
      if (p.rfind("/admin/v1/teams/", 0) == 0) return reply(admin_teams(request, admin, p.substr(16)));
      if (p == "/admin/v1/policies" || p.rfind("/admin/v1/policies/", 0) == 0) {
        if (!admin_policies_) throw ApiError::unavailable("The policy store is not available.", "policy_store_unavailable");
        return reply(admin_policies_->handle(request, admin, std::string_view(p).substr(18)));
      }
      throw ApiError::not_found("Unknown admin route " + p, "unknown_url");
    }
    if (p.rfind("/audit/v1/", 0) == 0) {
      Principal auditor = authenticate(request, Role::kAuditor);
      if (!audit_api_) throw ApiError::unavailable("The audit log is not available.", "audit_unavailable");
      return reply(audit_api_->handle(request, auditor, std::string_view(p).substr(10)));
    }
    throw ApiError::not_found("Unknown route " + p, "unknown_url");
  } catch (const ApiError& e) {
    reply(e.to_response());
  } catch (const std::exception& e) {
    core::log_error("request failed", {{"request_id", request.request_id}, {"route", route}, {"error", e.what()}});
    reply(ApiError(500, "Internal error (request id " + request.request_id + ")", "server_error", "internal_error").to_response());
  }
}

HttpResponse App::models(const HttpRequest& request, const std::string& id) {
  require_method(request, {"GET"});
  auto describe = [&] {
    core::Json m = core::Json::object();
    m["id"] = deps_.backend->model_id();
    m["object"] = "model";
    m["created"] = deps_.backend->created_at();
    m["owned_by"] = "warden";
    return m;
  };
  if (!deps_.backend) throw ApiError::unavailable("The model is still loading.", "model_not_ready");
  if (!id.empty()) {
    if (id != deps_.backend->model_id()) {
      throw ApiError::not_found("The model '" + id + "' does not exist", "model_not_found");
    }
    return json_response(200, describe());
  }
  core::Json list = core::Json::object();
  list["object"] = "list";
  list["data"] = core::Json::array();
  list["data"].push_back(describe());
  return json_response(200, list);
}

void App::chat_completions(const HttpRequest& request, const Principal& principal, std::shared_ptr<Responder> responder,
                           std::function<void(int)> done) {
  ChatExchangeContext context;
  context.http = &request;
  context.principal = principal;
  context.backend = deps_.backend;
  context.audit = &audit_;
  context.metrics = deps_.metrics;
  context.started = Clock::now();
  require_audit();
  // From here on every outcome is recorded, refusals included.
  core::Json body;
  ChatRequest chat;
  try {
    body = parse_body(request);
    check_rate_limit(principal, static_cast<int64_t>(request.body.size() / 4));
    ChatLimits chat_limits{deps_.config.limits.max_messages, deps_.config.limits.max_stop_sequences};
    chat = parse_chat_request(body, chat_limits);
    if (!deps_.backend || !deps_.backend->ready()) throw ApiError::unavailable("The model is still loading.", "model_not_ready");
    if (chat.model != deps_.backend->model_id()) {
      throw ApiError(404, "The model '" + chat.model + "' does not exist", "invalid_request_error", "model_not_found",
                     std::string("model"));
    }
    if (!deps_.backend->supports_tools()) refuse_tool_use(chat);
  } catch (const ApiError& e) {
    context.model_id = chat.model;
    audit::AuditRecord record = failed_chat_record(context, body.is_null() ? nullptr : &body, e.status(), e.what());
    HttpResponse response = e.to_response();
    audit_.record(std::move(record), [responder, done, response](bool durable) {
      HttpResponse r = durable ? response
                               : ApiError::unavailable("The request could not be recorded in the audit log.", "audit_unavailable")
                                     .to_response();
      int status = r.status;
      responder->send(std::move(r));
      done(status);
    });
    return;
  }
  context.model_id = deps_.backend->model_id();
  if (!chat.max_tokens) chat.max_tokens = deps_.config.model.default_max_tokens;
  if (deps_.policies) context.policies = deps_.policies();
  run_chat_exchange(std::move(context), body, std::move(chat), responder,
                    [this, principal, limits = limits_for(principal), done](int status, int prompt, int completion) {
                      deps_.metrics->increment("warden_tokens_total", {{"direction", "prompt"}}, prompt);
                      deps_.metrics->increment("warden_tokens_total", {{"direction", "completion"}}, completion);
                      limiter_.charge_tokens(principal.key_id, limits, completion);
                      done(status);
                    });
}

HttpResponse App::admin_keys(const HttpRequest& request, const Principal& actor, const std::string& id) {
  if (id.empty()) {
    require_method(request, {"GET", "POST"});
    if (request.method == "GET") {
      core::Json out = core::Json::object();
      out["object"] = "list";
      out["data"] = deps_.keys->list(request.query_param("include_revoked") == "true");
      return json_response(200, out);
    }
    core::Json body = parse_body(request);
    if (!body.is_object()) throw ApiError::bad_request("the body must be a JSON object");
    for (const auto& [key, value] : body.as_object()) {
      if (key != "name" && key != "team" && key != "role" && key != "requests_per_minute" && key != "tokens_per_minute") {
        throw ApiError::bad_request("unknown field " + key, key, "unknown_parameter");
      }
    }
    NewKey key;
    const core::Json* name = body.find("name");
    const core::Json* team = body.find("team");
    const core::Json* role = body.find("role");
    if (!name || !name->is_string()) throw ApiError::bad_request("name is required (a string)", "name");
    if (!team || !team->is_string()) throw ApiError::bad_request("team is required (a string)", "team");
    key.name = name->as_string();
    key.team = team->as_string();
    std::string role_text = role && role->is_string() ? role->as_string() : (role ? "" : "user");
    auto parsed = parse_role(role_text);
    if (!parsed) throw ApiError::bad_request("role must be one of user, admin, auditor", "role");
    key.role = *parsed;
    key.requests_per_minute = optional_positive(body, "requests_per_minute");
    key.tokens_per_minute = optional_positive(body, "tokens_per_minute");
    CreatedKey created;
    try {
      created = deps_.keys->create(key);
    } catch (const std::invalid_argument& e) {
      throw ApiError::bad_request(e.what());
    }
    core::log_info("api key created", {{"key_id", created.id}, {"team", key.team}, {"role", role_name(key.role)}});
    {
      core::Json details = core::Json::object();
      details["key_id"] = created.id;
      details["name"] = key.name;
      details["team"] = key.team;
      details["role"] = role_name(key.role);
      record_admin(actor, "key.create", std::move(details));
    }
    core::Json out = core::Json::object();
    out["id"] = created.id;
    out["name"] = key.name;
    out["team"] = key.team;
    out["role"] = role_name(key.role);
    out["secret"] = created.secret;
    sodium_memzero(created.secret.data(), created.secret.size());
    return json_response(201, out);
  }
  require_method(request, {"DELETE"});
  if (!deps_.keys->revoke(id)) throw ApiError::not_found("No active key with id '" + id + "'");
  core::log_info("api key revoked", {{"key_id", id}});
  {
    core::Json details = core::Json::object();
    details["key_id"] = id;
    record_admin(actor, "key.revoke", std::move(details));
  }
  core::Json out = core::Json::object();
  out["id"] = id;
  out["revoked"] = true;
  return json_response(200, out);
}

HttpResponse App::admin_teams(const HttpRequest& request, const Principal& actor, const std::string& name) {
  if (name.empty()) {
    require_method(request, {"GET"});
    core::Json out = core::Json::object();
    out["object"] = "list";
    out["data"] = deps_.keys->list_teams();
    return json_response(200, out);
  }
  require_method(request, {"PUT"});
  core::Json body = parse_body(request);
  if (!body.is_object()) throw ApiError::bad_request("the body must be a JSON object");
  for (const auto& [key, value] : body.as_object()) {
    if (key != "requests_per_minute" && key != "tokens_per_minute") throw ApiError::bad_request("unknown field " + key, key, "unknown_parameter");
  }
  try {
    deps_.keys->set_team_limits(name, optional_positive(body, "requests_per_minute"), optional_positive(body, "tokens_per_minute"));
  } catch (const pqxx::check_violation&) {
    throw ApiError::bad_request("team name \"" + name + "\" is not valid (letters, digits, _ . -; at most 64)");
  } catch (const std::invalid_argument& e) {
    throw ApiError::bad_request(e.what());
  }
  {
    core::Json details = body;
    details["team"] = name;
    record_admin(actor, "team.limits", std::move(details));
  }
  core::Json out = core::Json::object();
  out["name"] = name;
  out["requests_per_minute"] = body.contains("requests_per_minute") ? body.at("requests_per_minute") : core::Json(nullptr);
  out["tokens_per_minute"] = body.contains("tokens_per_minute") ? body.at("tokens_per_minute") : core::Json(nullptr);
  return json_response(200, out);
}

std::string HttpRequest::query_param(std::string_view name) const {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string_view pair(query.data() + start, end - start);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string raw(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      std::string out;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          out += ' ';
        } else if (raw[i] == '%' && i + 2 < raw.size() + 0 && std::isxdigit(raw[i + 1]) && std::isxdigit(raw[i + 2])) {
          out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += raw[i];
        }
      }
      return out;
    }
    start = end + 1;
  }
  return "";
}

}  // namespace warden::gateway
