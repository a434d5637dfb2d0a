// The /admin/v1/policies handler against a throwaway PostgreSQL, through the real store
// and registry: routes, status codes, error shapes and the admin events it reports.
#include <catch2/catch.hpp>

#include "core/pg_pool.h"
#include "gateway/admin_policies.h"
#include "gateway/api_error.h"
#include "store_fixture.h"

using namespace warden;
using core::Json;
using gateway::HttpRequest;
using gateway::HttpResponse;

namespace {

struct Event {
  std::string action;
  std::string actor;
  Json details;
  bool ok;
};

// One gateway's worth of policy plumbing on a fresh database, as the gateway's role.
struct Api {
  std::string db = store_test::fresh_database("admin_policies");
  core::PgPool pool{db + " user=warden_gateway", 2};
  policy::PolicyStore store{pool};
  bool seed;
  policy::PolicyRegistry registry{store, db + " user=warden_gateway", [this] {
                                    policy::PolicyRegistry::Options o;
                                    o.poll_interval = std::chrono::minutes(10);
                                    o.seed_when_empty = seed;  // seeding compiles the default twice more
                                    return o;
                                  }()};
  std::vector<Event> events;
  gateway::AdminPolicies admin{store, registry, {}, [this](const std::string& action, const gateway::Principal& actor,
                                                            Json details, bool ok) {
                                 events.push_back({action, actor.key_id, std::move(details), ok});
                               }};
  gateway::Principal principal;

  // Members are built in declaration order: `seed` must be set before `registry`.
  explicit Api(bool seed_default = false) : seed(seed_default) {
    principal.key_id = "key_admin1";
    principal.team = "platform";
    principal.role = gateway::Role::kAdmin;
    REQUIRE(registry.start().ok);
  }

  // Calls the handler the way the router does: ApiError becomes the error response.
  HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = body;
    const std::string prefix = "/admin/v1/policies";
    REQUIRE(r.path.rfind(prefix, 0) == 0);
    try {
      return admin.handle(r, principal, std::string_view(r.path).substr(prefix.size()));
    } catch (const gateway::ApiError& e) {
      return e.to_response();
    }
  }
  Json call_json(const std::string& method, const std::string& target, const std::string& body, int expected_status) {
    HttpResponse r = call(method, target, body);
    INFO(method << " " << target << " -> " << r.body);
    REQUIRE(r.status == expected_status);
    return Json::parse(r.body);
  }
};

std::string error_code(const Json& body) { return body.at("error").at("code").as_string(); }

std::string source_body(const std::string& yaml, const std::string& comment = "") {
  Json b = Json::object();
  b["source"] = yaml;
  if (!comment.empty()) b["comment"] = comment;
  return b.dump();
}

std::string sample(const std::string& text) {
  return R"({"messages": [{"role": "user", "content": )" + core::json_quote(text) + "}]}";
}

}  // namespace

TEST_CASE("GET /admin/v1/policies lists the seeded default and what this gateway serves", "[admin_policies]") {
  Api api(true);
  Json list = api.call_json("GET", "/admin/v1/policies", "", 200);
  CHECK(list.at("object").as_string() == "list");
  CHECK(list.at("loaded").as_bool());
  CHECK(list.at("fallback").at("name").as_string() == policy::kFallbackPolicyName);
  REQUIRE(list.at("data").size() == 1);
  const Json& d = list.at("data")[0];
  CHECK(d.at("name").as_string() == "default");
  CHECK(d.at("active_version").as_int() == 1);
  CHECK(d.at("latest_version").as_int() == 1);
  CHECK(d.at("serving_version").as_int() == 1);
  CHECK(api.call("POST", "/admin/v1/policies", "{}").status == 405);
}

TEST_CASE("POST /admin/v1/policies/{name} saves a version; an invalid one lists every problem", "[admin_policies]") {
  Api api;
  Json v1 = api.call_json("POST", "/admin/v1/policies/research", source_body(store_test::research_policy("salary"), "first"), 201);
  CHECK(v1.at("version").as_int() == 1);
  CHECK(v1.at("created").as_bool());
  CHECK(v1.at("author").as_string() == "key_admin1");
  CHECK(v1.at("comment").as_string() == "first");
  CHECK(v1.at("content_hash").as_string().size() == 64);
  REQUIRE(api.events.size() == 1);
  CHECK(api.events[0].action == "policy.save");
  CHECK(api.events[0].ok);
  CHECK(api.events[0].actor == "key_admin1");
  CHECK(api.events[0].details.at("version").as_int() == 1);

  // The same policy as a JSON document: identical content, no new version, 200.
  Json doc = policy::parse_policy_source(store_test::research_policy("salary"));
  Json body = Json::object();
  body["document"] = doc;
  Json same = api.call_json("POST", "/admin/v1/policies/research", body.dump(), 200);
  CHECK_FALSE(same.at("created").as_bool());
  CHECK(same.at("version").as_int() == 1);

  const std::string bad =
      "bindings: {teams: [research], groups: [x]}\n"
      "guardrails:\n"
      "  input:\n"
      "    - id: r1\n"
      "      kind: regex\n"
      "      pattern: '(abc'\n"
      "    - id: r1\n"
      "      kind: deny_topics\n"
      "      phrases: [x]\n";
  Json refused = api.call_json("POST", "/admin/v1/policies/research", source_body(bad), 400);
  CHECK(error_code(refused) == "invalid_policy");
  CHECK(refused.at("error").at("type").as_string() == "invalid_request_error");
  const Json& problems = refused.at("error").at("problems");
  REQUIRE(problems.size() >= 3);
  const std::string message = refused.at("error").at("message").as_string();
  for (const Json& p : problems.as_array()) CHECK(message.find(p.as_string()) != std::string::npos);
  CHECK(message.find("bindings.groups") != std::string::npos);
  CHECK(message.find("guardrails.input[0].pattern") != std::string::npos);
  REQUIRE(api.events.size() == 3);
  CHECK_FALSE(api.events[2].ok);
  CHECK(api.events[2].details.at("problems").size() == problems.size());
  // Nothing was saved.
  CHECK(api.call_json("GET", "/admin/v1/policies/research/versions", "", 200).at("data").size() == 1);

  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research", "{\"source\": \"{\"}", 400)) == "invalid_policy");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research", "{", 400)) == "invalid_json");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research", "", 400)) == "invalid_json");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research", "{}", 400)) == "invalid_value");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research", R"({"source": "a: 1", "document": {}})", 400)) ==
        "invalid_value");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research", R"({"document": [1]})", 400)) == "invalid_value");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research", R"({"source": "x", "owner": 1})", 400)) ==
        "unknown_parameter");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/Research", source_body("{}"), 400)) == "invalid_name");
  CHECK(api.call("PUT", "/admin/v1/policies/research", "{}").status == 405);
}

TEST_CASE("GET a version, the versions, and 404s", "[admin_policies]") {
  Api api;
  const std::string yaml = store_test::research_policy("salary");
  api.call_json("POST", "/admin/v1/policies/research", source_body(yaml), 201);
  api.call_json("POST", "/admin/v1/policies/research", source_body(store_test::research_policy("salary, bonus")), 201);
  Json latest = api.call_json("GET", "/admin/v1/policies/research", "", 200);
  CHECK(latest.at("version").as_int() == 2);
  Json first = api.call_json("GET", "/admin/v1/policies/research?version=1", "", 200);
  CHECK(first.at("source").as_string() == yaml);
  CHECK(first.at("source_format").as_string() == "yaml");
  CHECK(first.at("document").at("bindings").at("teams")[0].as_string() == "research");
  CHECK_FALSE(first.at("active").as_bool());
  Json versions = api.call_json("GET", "/admin/v1/policies/research/versions", "", 200);
  REQUIRE(versions.at("data").size() == 2);
  CHECK(versions.at("data")[1].at("version").as_int() == 2);

  CHECK(error_code(api.call_json("GET", "/admin/v1/policies/research?version=3", "", 404)) == "policy_not_found");
  CHECK(error_code(api.call_json("GET", "/admin/v1/policies/research?version=x", "", 400)) == "invalid_value");
  CHECK(error_code(api.call_json("GET", "/admin/v1/policies/nobody", "", 404)) == "policy_not_found");
  CHECK(error_code(api.call_json("GET", "/admin/v1/policies/nobody/versions", "", 404)) == "policy_not_found");
  CHECK(error_code(api.call_json("GET", "/admin/v1/policies/research/everything", "", 404)) == "unknown_url");
  CHECK(api.call("POST", "/admin/v1/policies/research/versions", "{}").status == 405);
}

TEST_CASE("activate and rollback move the version this gateway serves before answering", "[admin_policies]") {
  Api api;
  api.call_json("POST", "/admin/v1/policies/research", source_body(store_test::research_policy("salary")), 201);
  api.call_json("POST", "/admin/v1/policies/research", source_body(store_test::research_policy("salary, bonus")), 201);
  api.events.clear();

  Json a1 = api.call_json("POST", "/admin/v1/policies/research/activate", R"({"version": 1})", 200);
  CHECK(a1.at("version").as_int() == 1);
  CHECK(a1.at("changed").as_bool());
  CHECK(a1.at("previous_version").is_null());
  CHECK(a1.at("actor").as_string() == "key_admin1");
  CHECK(a1.at("reload").at("ok").as_bool());
  // Served now, not eventually.
  auto chosen = api.registry.current()->select({"k", "research", "user"});
  CHECK(chosen->identity().name == "research");
  CHECK(chosen->identity().version == 1);

  Json a2 = api.call_json("POST", "/admin/v1/policies/research/activate", R"({"version": 2})", 200);
  CHECK(a2.at("previous_version").as_int() == 1);
  Json back = api.call_json("POST", "/admin/v1/policies/research/rollback", "", 200);
  CHECK(back.at("kind").as_string() == "rollback");
  CHECK(back.at("version").as_int() == 1);
  CHECK(api.registry.current()->select({"k", "research", "user"})->identity().version == 1);
  Json to2 = api.call_json("POST", "/admin/v1/policies/research/rollback", R"({"version": 2})", 200);
  CHECK(to2.at("version").as_int() == 2);
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research/rollback", R"({"version": 2})", 409)) == "conflict");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research/activate", R"({"version": 9})", 404)) ==
        "policy_not_found");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research/activate", "{}", 400)) == "invalid_value");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research/activate", R"({"version": 0})", 400)) ==
        "invalid_value");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research/activate", R"({"version": "1"})", 400)) ==
        "invalid_value");
  CHECK(api.call("GET", "/admin/v1/policies/research/activate").status == 405);

  // Events: activate 1, activate 2, rollback, rollback to 2 succeeded; two refusals.
  std::vector<std::string> actions;
  int refused = 0;
  for (const auto& e : api.events) {
    actions.push_back(e.action);
    refused += e.ok ? 0 : 1;
  }
  CHECK(refused == 2);
  CHECK(actions[0] == "policy.activate");
  CHECK(actions[2] == "policy.rollback");
  CHECK(api.events[2].details.at("previous_version").as_int() == 2);

  Json history = api.call_json("GET", "/admin/v1/policies/research/history", "", 200);
  REQUIRE(history.at("data").size() == 4);
  CHECK(history.at("data")[2].at("kind").as_string() == "rollback");
  Json list = api.call_json("GET", "/admin/v1/policies", "", 200);
  bool found = false;
  for (const Json& p : list.at("data").as_array()) {
    if (p.at("name").as_string() != "research") continue;
    found = true;
    CHECK(p.at("active_version").as_int() == 2);
    CHECK(p.at("serving_version").as_int() == 2);
  }
  CHECK(found);
}

TEST_CASE("GET .../diff returns a unified diff of two versions", "[admin_policies]") {
  Api api;
  api.call_json("POST", "/admin/v1/policies/research", source_body(store_test::research_policy("salary")), 201);
  api.call_json("POST", "/admin/v1/policies/research", source_body(store_test::research_policy("salary, bonus")), 201);
  Json d = api.call_json("GET", "/admin/v1/policies/research/diff?from=1&to=2", "", 200);
  CHECK_FALSE(d.at("identical").as_bool());
  const std::string text = d.at("diff").as_string();
  CHECK(text.rfind("--- research@1\n+++ research@2\n@@ ", 0) == 0);
  CHECK(text.find("\n+          \"bonus\"\n") != std::string::npos);
  CHECK(text.find("\n-          \"salary\"\n") != std::string::npos);
  // Defaults: from the active version (none: the latest) to the latest.
  Json none = api.call_json("GET", "/admin/v1/policies/research/diff", "", 200);
  CHECK(none.at("identical").as_bool());
  api.call_json("POST", "/admin/v1/policies/research/activate", R"({"version": 1})", 200);
  Json pending = api.call_json("GET", "/admin/v1/policies/research/diff", "", 200);
  CHECK(pending.at("from").as_int() == 1);
  CHECK(pending.at("to").as_int() == 2);
  CHECK(pending.at("diff").as_string() == text);
  HttpResponse plain = api.call("GET", "/admin/v1/policies/research/diff?from=1&to=2&format=text");
  CHECK(plain.status == 200);
  CHECK(plain.content_type.rfind("text/x-diff", 0) == 0);
  CHECK(plain.body == text);
  CHECK(error_code(api.call_json("GET", "/admin/v1/policies/research/diff?from=1&to=5", "", 404)) == "policy_not_found");
}

TEST_CASE("POST .../test dry-runs a draft, a version or the active version without a model", "[admin_policies]") {
  Api api;
  api.call_json("POST", "/admin/v1/policies/research", source_body(store_test::research_policy("salary")), 201);
  api.call_json("POST", "/admin/v1/policies/research", source_body(store_test::research_policy("salary, bonus")), 201);
  // No active version yet: the caller must say what to test.
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research/test", R"({"sample": )" + sample("hi") + "}", 409)) ==
        "conflict");
  api.call_json("POST", "/admin/v1/policies/research/activate", R"({"version": 1})", 200);

  Json active = api.call_json("POST", "/admin/v1/policies/research/test", R"({"sample": )" + sample("what is my salary") + "}", 200);
  CHECK(active.at("policy").at("version").as_int() == 1);
  CHECK(active.at("decision").as_string() == "blocked");
  CHECK(active.at("input").at("block").at("rule").as_string() == "no-topics");
  Json bonus_v1 = api.call_json("POST", "/admin/v1/policies/research/test", R"({"sample": )" + sample("my bonus") + "}", 200);
  CHECK(bonus_v1.at("decision").as_string() == "allowed");
  Json bonus_v2 =
      api.call_json("POST", "/admin/v1/policies/research/test", R"({"version": 2, "sample": )" + sample("my bonus") + "}", 200);
  CHECK(bonus_v2.at("policy").at("version").as_int() == 2);
  CHECK(bonus_v2.at("decision").as_string() == "blocked");

  // A draft, never saved: version 0; a list of samples.
  Json body = Json::object();
  body["source"] = store_test::research_policy("vacation");
  body["samples"] = Json::parse("[" + sample("my salary") + "," + sample("my vacation") + "]");
  Json draft = api.call_json("POST", "/admin/v1/policies/research/test", body.dump(), 200);
  CHECK(draft.at("policy").at("version").as_int() == 0);
  REQUIRE(draft.at("results").size() == 2);
  CHECK(draft.at("results")[0].at("decision").as_string() == "allowed");
  CHECK(draft.at("results")[1].at("decision").as_string() == "blocked");
  CHECK(api.call_json("GET", "/admin/v1/policies/research/versions", "", 200).at("data").size() == 2);

  Json bad_sample = api.call_json("POST", "/admin/v1/policies/research/test",
                                  R"({"samples": [{"messages": []}, {"message": 1}]})", 400);
  CHECK(error_code(bad_sample) == "invalid_sample");
  const std::string problems = bad_sample.at("error").at("problems").dump();
  CHECK(problems.find("samples[0].messages") != std::string::npos);
  CHECK(problems.find("samples[1]") != std::string::npos);
  Json bad_draft = api.call_json("POST", "/admin/v1/policies/research/test",
                                 R"({"document": {"owner": 1}, "sample": )" + sample("x") + "}", 400);
  CHECK(error_code(bad_draft) == "invalid_policy");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research/test", R"({"version": 1})", 400)) == "invalid_value");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research/test",
                                 R"({"version": 1, "document": {}, "sample": {}})", 400)) == "invalid_value");
  CHECK(error_code(api.call_json("POST", "/admin/v1/policies/research/test", R"({"version": 7, "sample": )" + sample("x") + "}",
                                 404)) == "policy_not_found");
  CHECK(api.events.size() == 3);  // dry runs are not admin changes
}
