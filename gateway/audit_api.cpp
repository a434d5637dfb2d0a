#include "gateway/audit_api.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "audit/checkpoint.h"
#include "audit/reader.h"
#include "audit/record.h"
#include "audit/store.h"
#include "audit/writer.h"
#include "core/log.h"
#include "gateway/api_error.h"

namespace warden::gateway {
namespace fs = std::filesystem;
using core::Json;

namespace {

constexpr size_t kMaxIdleReaders = 4;
constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 1000;
constexpr size_t kMaxFilterLength = 256;

using Params = std::map<std::string, std::string>;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '+') {
      out += ' ';
    } else if (raw[i] == '%') {
      int hi = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
      int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        throw ApiError::bad_request("the query string has a malformed percent escape near \"" +
                                        std::string(raw.substr(i, 3)) + "\"",
                                    std::nullopt, "invalid_query");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += raw[i];
    }
  }
  return out;
}

// Decodes the query string; an unknown or repeated parameter is a 400 that names it.
Params parse_query(const HttpRequest& request, const std::set<std::string>& allowed) {
  Params params;
  std::string_view query = request.query;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name = percent_decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    if (!allowed.count(name)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      std::string hint = name == "text" ? " (free-text search needs a reviewer's secret key: use `warden audit search "
                                          "--key FILE --text ...` on a reviewer workstation)"
                                        : "";
      throw ApiError::bad_request("unknown query parameter \"" + name + "\"" + hint + "; allowed: " + list, name,
                                  "unknown_parameter");
    }
    if (params.count(name)) throw ApiError::bad_request("query parameter " + name + " is given twice", name);
    params[name] = std::move(value);
  }
  return params;
}

std::optional<int64_t> int_param(const Params& p, const std::string& name, int64_t min, int64_t max) {
  auto it = p.find(name);
  if (it == p.end()) return std::nullopt;
  const std::string& v = it->second;
  auto range = " from " + std::to_string(min) + " to " + std::to_string(max);
  bool digits = !v.empty() && v.size() <= 19 &&
                std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!digits) throw ApiError::bad_request(name + " must be an integer" + range + ", got \"" + v + "\"", name);
  int64_t n = std::stoll(v);
  if (n < min || n > max) throw ApiError::bad_request(name + " must be an integer" + range + ", got " + v, name);
  return n;
}

std::optional<std::string> text_param(const Params& p, const std::string& name) {
  auto it = p.find(name);
  if (it == p.end()) return std::nullopt;
  if (it->second.empty()) throw ApiError::bad_request(name + " must not be empty", name);
  if (it->second.size() > kMaxFilterLength) {
    throw ApiError::bad_request(name + " is longer than " + std::to_string(kMaxFilterLength) + " characters", name);
  }
  for (unsigned char c : it->second) {
    if (c < 0x20 || c == 0x7f) throw ApiError::bad_request(name + " must not contain control characters", name);
  }
  return it->second;
}

std::optional<int64_t> time_param(const Params& p, const std::string& name) {
  auto v = text_param(p, name);
  if (!v) return std::nullopt;
  try {
    return audit::parse_time(*v);
  } catch (const std::exception& e) {
    throw ApiError::bad_request(name + ": " + e.what(), name);
  }
}

std::optional<bool> bool_param(const Params& p, const std::string& name) {
  auto it = p.find(name);
  if (it == p.end()) return std::nullopt;
  if (it->second == "true" || it->second == "1") return true;
  if (it->second == "false" || it->second == "0") return false;
  throw ApiError::bad_request(name + " must be true or false, got \"" + it->second + "\"", name);
}

void require_method(const HttpRequest& r, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* m : allowed) {
    if (r.method == m) return;
    list += (list.empty() ? "" : ", ") + std::string(m);
  }
  ApiError e(405, "method " + r.method + " is not allowed on " + r.path + " (allowed: " + list + ")",
             "invalid_request_error", "method_not_allowed");
  e.headers.push_back({"Allow", list});
  throw e;
}

Json params_json(const Params& p) {
  Json o = Json::object();
  for (const auto& [k, v] : p) o.set(k, v);
  return o;
}

HttpResponse json_response(const Json& body) {
  HttpResponse r;
  r.body = body.dump();
  return r;
}

// Reading is pointless when the access cannot be recorded: refuse before touching the store.
void require_audit_log(const audit::AuditWriter& writer) {
  if (!writer.healthy() && !writer.fail_open()) {
    throw ApiError::unavailable("The audit log cannot take records right now, so audit accesses are refused. Try again later.",
                                "audit_unavailable");
  }
}

std::optional<std::string> chain_param(const Params& p) {
  auto chain = text_param(p, "chain");
  if (chain) {
    if (std::string why = audit::chain_id_problem(*chain); !why.empty()) throw ApiError::bad_request("chain: " + why, "chain");
  }
  return chain;
}

// Checkpoint page cursor: "<seq>.<chain>" (checkpoints are listed in (chain, seq, kind) order).
std::string format_checkpoint_cursor(const audit::Checkpoint& cp) { return std::to_string(cp.seq) + "." + cp.chain; }

audit::CheckpointCursor parse_checkpoint_cursor(const std::string& text) {
  size_t dot = text.find('.');
  std::string digits = text.substr(0, dot);
  bool ok = dot != std::string::npos && !digits.empty() && digits.size() <= 19 &&
            std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
            audit::chain_id_problem(text.substr(dot + 1)).empty();
  if (!ok) {
    throw ApiError::bad_request("after: invalid cursor \"" + text + "\" (pass the next_after value of the previous page)",
                                "after");
  }
  return {text.substr(dot + 1), static_cast<uint64_t>(std::stoull(digits))};
}

bool is_record_id(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

// What one access did, for its audit record.
struct AuditApi::Access {
  std::string action;  // audit.search | audit.show | audit.verify | audit.checkpoints; "" = no such endpoint
  std::string route;   // fixed route, never the raw path
  std::string decision = "ok";  // ok | not_found | invalid | failed
  Json details = Json::object();
};

AuditApi::AuditApi(std::string conninfo, audit::AuditWriter& writer, Metrics* metrics, AuditApiOptions options)
    : conninfo_(std::move(conninfo)), writer_(writer), metrics_(metrics), options_(std::move(options)) {}

AuditApi::~AuditApi() = default;

std::unique_ptr<audit::AuditReader> AuditApi::take_reader() {
  {
    std::lock_guard lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      auto reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
  }
  return std::make_unique<audit::AuditReader>(conninfo_);
}

void AuditApi::give_back(std::unique_ptr<audit::AuditReader> reader) {
  std::lock_guard lock(readers_mutex_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(reader));
}

HttpResponse AuditApi::handle(const HttpRequest& request, const Principal& auditor, std::string_view rest) {
  const auto started = std::chrono::steady_clock::now();
  Access access;
  HttpResponse response;
  try {
    response = route(request, rest, access);
  } catch (const ApiError& e) {
    response = e.to_response();
    if (access.decision == "ok") access.decision = e.status() == 404 ? "not_found" : e.status() >= 500 ? "failed" : "invalid";
    access.details.set("error", e.what());
  } catch (const std::exception& e) {
    // A reader that failed is not reused (see take_reader); the next request reconnects.
    // First line only: server messages may quote filter values, which stay out of the log.
    std::string what = e.what();
    core::log_error("audit API: reading the audit store failed",
                    {{"request_id", request.request_id}, {"error", what.substr(0, what.find('\n'))}});
    response = ApiError::unavailable("The audit store cannot be read right now; try again later.", "audit_store_unavailable")
                   .to_response();
    access.decision = "failed";
    access.details.set("error", e.what());
  }
  if (!access.action.empty()) {
    access.details.set("latency_ms", static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                std::chrono::steady_clock::now() - started)
                                                                .count()));
    if (!record_access(auditor, request, access, response.status)) {
      response = ApiError::unavailable("This audit access could not be recorded in the audit log, so its result is withheld.",
                                       "audit_unavailable")
                     .to_response();
    }
  }
  if (metrics_) {
    metrics_->increment("warden_audit_api_requests_total",
                        {{"action", access.action.empty() ? "unknown" : access.action}, {"status", std::to_string(response.status)}});
  }
  return response;
}

HttpResponse AuditApi::route(const HttpRequest& request, std::string_view rest, Access& access) {
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (rest == "records") {
    access.action = "audit.search";
    access.route = "/audit/v1/records";
    require_method(request, {"GET"});
    return records(request, access);
  }
  if (rest.rfind("records/", 0) == 0) {
    access.action = "audit.show";
    access.route = "/audit/v1/records/{id}";
    require_method(request, {"GET"});
    return record(request, std::string(rest.substr(8)), access);
  }
  if (rest == "verify") {
    access.action = "audit.verify";
    access.route = "/audit/v1/verify";
    require_method(request, {"GET", "POST"});
    return verify(request, access);
  }
  if (rest == "checkpoints") {
    access.action = "audit.checkpoints";
    access.route = "/audit/v1/checkpoints";
    require_method(request, {"GET"});
    return checkpoints(request, access);
  }
  throw ApiError::not_found("Unknown audit route /audit/v1/" + std::string(rest) +
                                " (routes: records, records/{id}, verify, checkpoints)",
                            "unknown_url");
}

HttpResponse AuditApi::records(const HttpRequest& request, Access& access) {
  Params p = parse_query(request, {"limit", "after", "chain", "from", "to", "key_id", "team", "decision", "entity_type",
                                   "policy_name", "policy_version", "kind"});
  access.details.set("filters", params_json(p));
  audit::SearchQuery q;
  q.include_sealed = true;
  q.limit = static_cast<size_t>(int_param(p, "limit", 1, kMaxLimit).value_or(kDefaultLimit));
  if (auto after = text_param(p, "after")) {
    try {
      q.after = audit::parse_record_cursor(*after);
    } catch (const std::exception& e) {
      throw ApiError::bad_request(std::string("after: ") + e.what(), "after");
    }
  }
  q.chain = chain_param(p);
  q.from_us = time_param(p, "from");
  q.to_us = time_param(p, "to");
  if (q.from_us && q.to_us && *q.to_us <= *q.from_us) {
    throw ApiError::bad_request("to must be later than from (the range is [from, to))", "to");
  }
  q.key_id = text_param(p, "key_id");
  q.team = text_param(p, "team");
  q.decision = text_param(p, "decision");
  q.entity_type = text_param(p, "entity_type");
  q.policy_name = text_param(p, "policy_name");
  q.policy_version = int_param(p, "policy_version", 0, std::numeric_limits<int64_t>::max());
  q.kind = text_param(p, "kind");
  if (q.kind && *q.kind != "request" && *q.kind != "admin" && *q.kind != "audit_access") {
    throw ApiError::bad_request("kind must be one of request, admin, audit_access, got \"" + *q.kind + "\"", "kind");
  }

  require_audit_log(writer_);
  auto reader = take_reader();
  Json result = reader->search(q);
  give_back(std::move(reader));

  const Json& list = result.at("records");
  const Json& next = result.at("next_after");
  Json out = Json::object();
  out.set("object", "list");
  out.set("data", list);
  out.set("has_more", !next.is_null());
  out.set("next_after", next);
  Json seen = Json::object();
  seen.set("count", static_cast<long long>(list.size()));
  if (list.size() > 0) {
    seen.set("first", list[0].at("chain").as_string() + "/" + list[0].at("seq").dump());
    seen.set("last", list[list.size() - 1].at("chain").as_string() + "/" + list[list.size() - 1].at("seq").dump());
  }
  access.details.set("returned", seen);
  return json_response(out);
}

HttpResponse AuditApi::record(const HttpRequest& request, const std::string& id, Access& access) {
  parse_query(request, {});  // takes no parameters
  access.details.set("record_id", id);
  if (!is_record_id(id)) {
    throw ApiError::bad_request("id must be a record id: 32 lowercase hex characters, got \"" + id + "\"", "id");
  }
  require_audit_log(writer_);
  auto reader = take_reader();
  Json rec = reader->get(id, nullptr, /*include_sealed=*/true);
  give_back(std::move(reader));
  if (rec.is_null()) throw ApiError::not_found("No audit record has the id " + id, "record_not_found");
  return json_response(rec);
}

HttpResponse AuditApi::verify(const HttpRequest& request, Access& access) {
  Params p = parse_query(request, {"strict", "chain"});
  bool strict = bool_param(p, "strict").value_or(false);
  std::optional<std::string> chain = chain_param(p);
  if (request.method == "POST" && !request.body.empty()) {
    Json body;
    try {
      body = Json::parse(request.body, 8);
    } catch (const core::JsonError& e) {
      throw ApiError::bad_request(std::string("We could not parse the JSON body of your request: ") + e.what(), std::nullopt,
                                  "invalid_json");
    }
    if (!body.is_object()) throw ApiError::bad_request("the body must be a JSON object such as {\"strict\": true}");
    for (const auto& [key, value] : body.as_object()) {
      if (key != "strict") throw ApiError::bad_request("unknown field \"" + key + "\" (allowed: strict)", key);
      if (!value.is_bool()) throw ApiError::bad_request("strict must be true or false", "strict");
      if (p.count("strict") && value.as_bool() != strict) {
        throw ApiError::bad_request("strict is given in the query and the body with different values", "strict");
      }
      strict = value.as_bool();
    }
  }
  access.details.set("strict", strict);
  if (chain) access.details.set("chain", *chain);

  audit::VerifyOptions options;
  options.trusted_signing_keys = options_.trusted_signing_keys;
  options.strict = strict;
  options.chain = chain;
  std::vector<std::string> file_warnings;
  // Read the export before the store: every checkpoint in it was committed before it was
  // appended, so a record the file vouches for is already in the table we read next.
  std::error_code ec;
  if (!options_.checkpoint_file.empty() && fs::exists(options_.checkpoint_file, ec)) {
    try {
      options.external_checkpoints = audit::read_checkpoint_file(options_.checkpoint_file);
    } catch (const std::exception& e) {
      file_warnings.push_back("the checkpoint export file could not be read, so it was not used: " + std::string(e.what()));
    }
  }

  require_audit_log(writer_);
  auto reader = take_reader();
  Json report = reader->verify(options);
  Json first_problem;
  const Json& problems = report.at("problems");
  if (problems.size() > 0) {
    first_problem = problems[0];
    const std::string& rid = first_problem.at("record_id").as_string();
    first_problem.set("record", rid.empty() ? Json() : reader->get(rid));
  }
  give_back(std::move(reader));
  for (auto& w : file_warnings) report["warnings"].push_back(w);

  const bool ok = report.at("ok").as_bool();
  Json out = Json::object();
  out.set("result", ok ? "pass" : "fail");
  for (const auto& [key, value] : report.as_object()) out.set(key, value);
  out.set("first_problem", first_problem);
  out.set("trusted_signing_key_ids", [&] {
    Json ids = Json::array();
    for (const auto& k : options.trusted_signing_keys) ids.push_back(k.key_id);
    return ids;
  }());
  Json summary = Json::object();
  summary.set("result", ok ? "pass" : "fail");
  summary.set("records_checked", report.at("records_checked"));
  summary.set("chains", static_cast<long long>(report.at("chains").size()));
  summary.set("first_problem", first_problem.is_null() ? Json() : first_problem.at("problem"));
  access.details.set("verify", summary);
  return json_response(out);
}

HttpResponse AuditApi::checkpoints(const HttpRequest& request, Access& access) {
  Params p = parse_query(request, {"after", "limit", "chain"});
  access.details.set("filters", params_json(p));
  size_t limit = static_cast<size_t>(int_param(p, "limit", 1, kMaxLimit).value_or(kDefaultLimit));
  audit::CheckpointCursor after;
  if (auto cursor = text_param(p, "after")) after = parse_checkpoint_cursor(*cursor);
  std::optional<std::string> chain = chain_param(p);

  // Up to three checkpoints share a (chain, seq) (periodic, shutdown, prune) and the cursor
  // is a (chain, seq), so a page never ends inside one.
  constexpr size_t kKindsPerSeq = 3;
  require_audit_log(writer_);
  auto reader = take_reader();
  std::vector<audit::Checkpoint> fetched = reader->store().checkpoints(chain, after, limit + kKindsPerSeq);
  give_back(std::move(reader));
  auto same_position = [&](size_t a, size_t b) { return fetched[a].chain == fetched[b].chain && fetched[a].seq == fetched[b].seq; };
  size_t take = std::min(limit, fetched.size());
  if (take < fetched.size()) {
    size_t trimmed = take;
    while (trimmed > 0 && same_position(trimmed - 1, take)) --trimmed;
    if (trimmed > 0) {
      take = trimmed;
    } else {
      const size_t cut = take;
      while (take < fetched.size() && same_position(take, cut)) ++take;
    }
  }
  const bool more = take < fetched.size();
  Json list = Json::array();
  for (size_t i = 0; i < take; ++i) list.push_back(audit::checkpoint_to_json(fetched[i]));
  Json out = Json::object();
  out.set("object", "list");
  out.set("data", list);
  out.set("has_more", more);
  out.set("next_after", more ? Json(format_checkpoint_cursor(fetched[take - 1])) : Json());
  access.details.set("returned", static_cast<long long>(take));
  return json_response(out);
}

bool AuditApi::record_access(const Principal& auditor, const HttpRequest& request, const Access& access, int status) {
  Json details = access.details;
  details.set("request_id", request.request_id);
  details.set("method", request.method);
  details.set("path", request.path);
  audit::AuditRecord record = audit::make_event_record("audit_access", access.action, auditor.key_id, auditor.team,
                                                       role_name(auditor.role), access.decision, std::move(details));
  record.header.route = access.route;
  record.header.http_status = status;
  record.header.client_addr = request.remote_address;
  // The callback form waits for durability whatever audit.durability says: an auditor's
  // read is answered only once it is on record.
  auto durable = std::make_shared<std::promise<bool>>();
  std::future<bool> result = durable->get_future();
  try {
    writer_.submit(std::move(record), [durable](std::exception_ptr error) { durable->set_value(!error); });
  } catch (const std::exception& e) {
    core::log_error("audit access not recorded", {{"request_id", request.request_id}, {"action", access.action},
                                                  {"error", e.what()}});
    return false;
  }
  bool ok = result.get();
  if (!ok) {
    core::log_error("audit access not recorded", {{"request_id", request.request_id}, {"action", access.action},
                                                  {"error", "the audit writer could not make the record durable"}});
  }
  return ok;
}

}  // namespace warden::gateway
