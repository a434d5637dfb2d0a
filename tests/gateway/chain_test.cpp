// The filter chain end to end through the real HTTP server: policy (input) → model →
// policy (output, streaming) → audit record, against a real PostgreSQL and a real audit
// writer whose records the test decrypts with its reviewer key.
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "core/yaml.h"
#include "gateway_fixture.h"

using namespace warden;
using namespace gateway_test;
using warden::core::Json;

TEST_CASE("the chain redacts, restores, blocks, filters output and records every exchange") {
  Gateway gw;
  gw.set_policy(core::load_document_file(guarded_policy_file()), "guarded", 7);

  SECTION("PII is pseudonymized for the model and restored for the caller; the record holds both") {
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("Please email jane.doe@example.com today"));
    REQUIRE(r.status == 200);
    CHECK(Json::parse(r.body).at("choices")[0].at("message").at("content").as_string() ==
          "Please email jane.doe@example.com today");
    CHECK(gw.backend.seen_prompt() == "Please email <EMAIL_ADDRESS_1> today");

    auto s = gw.curl("POST", "/v1/chat/completions", gw.user_key,
                     chat_body("write to bob@example.org and bob@example.org", R"(,"stream":true)"));
    REQUIRE(s.status == 200);
    auto streamed = parse_sse(s.body);
    CHECK(streamed.content == "write to bob@example.org and bob@example.org");
    CHECK(streamed.finish_reason == "stop");
    CHECK(streamed.done);
    CHECK(gw.backend.seen_prompt() == "write to <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_1>");

    Json records = gw.records();
    REQUIRE(records.size() == 2);
    const Json& first = records[0];
    CHECK(first.at("decision").as_string() == "redacted");
    CHECK(first.at("policy_name").as_string() == "guarded");
    CHECK(first.at("policy_version").as_int() == 7);
    CHECK(first.at("http_status").as_int() == 200);
    CHECK(first.at("entity_counts").at("EMAIL_ADDRESS").as_int() >= 1);
    const Json& payload = first.at("payload");
    CHECK(payload.at("request").at("messages")[0].at("content").as_string().find("jane.doe@example.com") != std::string::npos);
    CHECK(payload.at("model_request").at("messages").dump().find("jane.doe") == std::string::npos);
    CHECK(payload.at("answer").at("produced").as_string() == "Please email <EMAIL_ADDRESS_1> today");
    CHECK(payload.at("answer").at("delivered").as_string() == "Please email jane.doe@example.com today");
    // The clear header never carries the value.
    std::string header_only = first.dump();
    header_only.erase(header_only.find("\"payload\""));
    CHECK(header_only.find("jane.doe") == std::string::npos);
  }

  SECTION("a secret blocks the request before the model sees it, naming only the type") {
    std::string before = gw.backend.seen_prompt();
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("my key is AKIAIOSFODNN7EXAMPLE ok"));
    CHECK(r.status == 400);
    CHECK(error_code(r) == "content_filter");
    CHECK(r.body.find("AWS_ACCESS_KEY") != std::string::npos);
    CHECK(r.body.find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
    CHECK(gw.backend.seen_prompt() == before);
    Json records = gw.records();
    REQUIRE(records.size() == 1);
    CHECK(records[0].at("decision").as_string() == "blocked");
    CHECK(records[0].at("http_status").as_int() == 400);
  }

  SECTION("input guardrails block with the rule's message, or flag and pass") {
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("what is the CEO's Salary?"));
    CHECK(r.status == 400);
    CHECK(error_code(r) == "content_filter");
    CHECK(Json::parse(r.body).at("error").at("message").as_string().find("Salary questions go to HR.") != std::string::npos);
    auto flagged = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("status of Bluebird please"));
    CHECK(flagged.status == 200);
    Json records = gw.records();
    REQUIRE(records.size() == 2);
    CHECK(records[0].at("decision").as_string() == "blocked");
    CHECK(records[0].at("rules_fired").dump().find("no-salaries") != std::string::npos);
    CHECK(records[1].at("decision").as_string() == "flagged");
    CHECK(records[1].at("rules_fired").dump().find("watch-codename") != std::string::npos);
  }

  SECTION("an output rule ends the answer with finish_reason content_filter, streamed or not") {
    auto r = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("the launch date is soon"));
    REQUIRE(r.status == 200);
    auto body = Json::parse(r.body);
    CHECK(body.at("choices")[0].at("finish_reason").as_string() == "content_filter");
    CHECK(body.at("choices")[0].at("message").at("content").as_string().find("launch") == std::string::npos);
    auto s = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("the launch date is soon", R"(,"stream":true)"));
    auto streamed = parse_sse(s.body);
    CHECK(streamed.finish_reason == "content_filter");
    CHECK(streamed.content.find("launch") == std::string::npos);
    CHECK(streamed.done);
    Json records = gw.records();
    REQUIRE(records.size() == 2);
    CHECK(records[0].at("decision").as_string() == "blocked");
    CHECK(records[0].at("payload").at("answer").at("produced").as_string().find("launch date") != std::string::npos);
  }

  SECTION("every request after authentication leaves exactly one record, refusals included") {
    gw.curl("POST", "/v1/chat/completions", gw.user_key, "{\"model\": ");
    gw.curl("POST", "/v1/chat/completions", gw.user_key, R"({"model":"nope","messages":[{"role":"user","content":"x"}]})");
    gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("overload"));
    gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("fine"));
    Json records = gw.records();
    REQUIRE(records.size() == 4);
    CHECK(records[0].at("decision").as_string() == "failed");
    CHECK(records[0].at("http_status").as_int() == 400);
    CHECK(records[1].at("http_status").as_int() == 404);
    CHECK(records[2].at("http_status").as_int() == 503);
    CHECK(records[3].at("decision").as_string() == "allowed");
  }

  SECTION("admin actions are recorded") {
    auto created = gw.curl("POST", "/admin/v1/keys", gw.admin_key, R"({"name":"svc","team":"team-b"})");
    REQUIRE(created.status == 201);
    std::string id = Json::parse(created.body).at("id").as_string();
    REQUIRE(gw.curl("DELETE", "/admin/v1/keys/" + id, gw.admin_key).status == 200);
    Json records = gw.records("admin");
    REQUIRE(records.size() == 2);
    CHECK(records[0].at("action").as_string() == "key.create");
    CHECK(records[1].at("action").as_string() == "key.revoke");
    CHECK(records[0].at("payload").at("details").at("key_id").as_string() == id);
    CHECK(records[0].dump().find("wdn_") == std::string::npos);  // the secret is never recorded
  }

  SECTION("rate-limited chat requests and keys used outside their role are on record") {
    const std::string limited = gw.keys->create({"l", "team-l", gateway::Role::kUser, 1, std::nullopt}).secret;
    REQUIRE(gw.curl("POST", "/v1/chat/completions", limited, chat_body("one")).status == 200);
    auto refused = gw.curl("POST", "/v1/chat/completions", limited, chat_body("two"));
    CHECK(refused.status == 429);
    CHECK(refused.headers.find("Retry-After: ") != std::string::npos);
    CHECK(gw.curl("GET", "/admin/v1/keys", gw.user_key).status == 403);
    Json records = gw.records();
    REQUIRE(records.size() == 3);
    CHECK(records[0].at("decision").as_string() == "allowed");
    CHECK(records[1].at("http_status").as_int() == 429);
    CHECK(records[1].at("decision").as_string() == "failed");
    CHECK(records[1].at("key_id").as_string() == limited.substr(4, 12));
    CHECK(records[1].at("payload").at("request").at("messages")[0].at("content").as_string() == "two");
    CHECK(records[2].at("action").as_string() == "access.denied");
    CHECK(records[2].at("http_status").as_int() == 403);
    CHECK(records[2].at("key_id").as_string() == gw.user_key.substr(4, 12));
    CHECK(records[2].at("payload").at("details").at("path").as_string() == "/admin/v1/keys");
  }

  SECTION("a request pins the policy it started with; the next one gets the new version") {
    auto first = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("hello"));
    REQUIRE(first.status == 200);
    Json permissive = core::parse_yaml("bindings: {default: true}\nredaction: {default_action: allow}\n");
    gw.set_policy(permissive, "open", 8);
    auto second = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("mail jane.doe@example.com"));
    CHECK(Json::parse(second.body).at("choices")[0].at("message").at("content").as_string() == "mail jane.doe@example.com");
    CHECK(gw.backend.seen_prompt() == "mail jane.doe@example.com");
    Json records = gw.records();
    REQUIRE(records.size() == 2);
    CHECK(records[0].at("policy_version").as_int() == 7);
    CHECK(records[1].at("policy_name").as_string() == "open");
    CHECK(records[1].at("policy_version").as_int() == 8);
  }

  SECTION("fail closed: no policy, or an audit log that cannot take records, means 503") {
    gw.set_policies(nullptr);
    auto no_policy = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("hello"));
    CHECK(no_policy.status == 503);
    CHECK(error_code(no_policy) == "policy_unavailable");
    gw.writer->close();
    auto no_audit = gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("hello"));
    CHECK(no_audit.status == 503);
    CHECK(error_code(no_audit) == "audit_unavailable");
    CHECK(gw.curl("POST", "/admin/v1/keys", gw.admin_key, R"({"name":"x","team":"t"})").status == 503);
    auto metrics = gw.curl("GET", "/metrics", "");
    CHECK(metrics.body.find("warden_audit_unavailable_total") != std::string::npos);
  }
}

TEST_CASE("auditors read the records through /audit/v1, and each access is recorded") {
  Gateway gw;
  REQUIRE(gw.curl("POST", "/v1/chat/completions", gw.user_key, chat_body("hello there")).status == 200);
  auto list = gw.curl("GET", "/audit/v1/records?kind=request", gw.auditor_key);
  REQUIRE(list.status == 200);
  Json records = Json::parse(list.body).at("data");
  REQUIRE(records.size() == 1);
  CHECK(records[0].at("decision").as_string() == "allowed");
  CHECK(list.body.find("hello there") == std::string::npos);  // payloads stay sealed
  auto verify = gw.curl("GET", "/audit/v1/verify", gw.auditor_key);
  CHECK(verify.status == 200);
  CHECK(Json::parse(verify.body).at("result").as_string() == "pass");
  CHECK(gw.curl("GET", "/audit/v1/records", gw.admin_key).status == 403);
  Json accesses = gw.records("audit_access");
  CHECK(accesses.size() == 2);
}

TEST_CASE("audit.durability: a request's record waits for durability, or not with bounded_lag") {
  Gateway gw;
  auto writer_for = [&](audit::Durability durability, const std::string& chain) {
    audit::WriterConfig wc;
    wc.conninfo = gw.conninfo + " user=warden_gateway";
    wc.reviewers = {gw.reviewer->public_key()};
    wc.signing_key = audit::generate_signing_key();
    wc.spool_path = gw.dir / (chain + ".spool");
    wc.chain = chain;
    wc.durability = durability;
    wc.max_lag_records = 1000;
    wc.log = [](const std::string&) {};
    return std::make_unique<audit::AuditWriter>(wc);
  };
  auto record = [] {
    audit::AuditRecord r;
    r.header.action = "chat.completions";
    r.header.kind = "request";
    r.payload["n"] = 1;
    return r;
  };
  for (auto durability : {audit::Durability::kWaitDurable, audit::Durability::kBoundedLag}) {
    const bool lag = durability == audit::Durability::kBoundedLag;
    auto writer = writer_for(durability, lag ? "lag-test" : "wait-test");
    gateway::AuditTrail trail(writer.get(), nullptr);
    // The completion runs on the caller's thread only when the response need not wait.
    std::promise<std::thread::id> ran_on;
    auto future = ran_on.get_future();
    trail.record(record(), [&](bool durable) {
      CHECK(durable);
      ran_on.set_value(std::this_thread::get_id());
    });
    REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    CHECK((future.get() == std::this_thread::get_id()) == lag);
    // Admin actions and audit accesses wait in both modes.
    CHECK(trail.record_and_wait(record()));
    writer->flush();
    CHECK(writer->stats().stored_in_db == 2);
  }
}
