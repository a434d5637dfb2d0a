// /audit/v1 against a throwaway PostgreSQL and a real writer built from AuditSettings, both
// connected as the gateway's own role: listing, paging, filters, one record, sealed
// envelopes a reviewer can open offline, verify before and after tampering, checkpoints,
// bad parameters, and one durable audit_access record per access.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <pqxx/pqxx>
#include <set>

#include "audit/checkpoint.h"
#include "audit/envelope.h"
#include "audit/reader.h"
#include "audit/record.h"
#include "audit/store.h"
#include "gateway/audit_api.h"
#include "gateway/audit_setup.h"
#include "tests/support/test_pg.h"

using namespace warden;
using warden::core::Json;
namespace fs = std::filesystem;

namespace {

std::string fresh_database() { return test_pg::fresh_database("audit_api"); }

constexpr int kRequests = 25;
const int64_t kBaseTime = audit::parse_time("2026-01-01T00:00:00Z");

// Record n's clear fields; the tests compute expected filter results from the same rules.
std::string team_of(int n) { return n % 3 == 0 ? "legal" : "research"; }
std::string decision_of(int n) { return n % 4 == 0 ? "blocked" : "redacted"; }
bool has_iban(int n) { return n % 5 == 0; }
int64_t version_of(int n) { return 1 + n % 2; }
int64_t time_of(int n) { return kBaseTime + int64_t(n) * 3600 * 1000000; }

audit::AuditRecord request_record(int n, const std::string& id) {
  audit::AuditRecord r;
  r.header.record_id = id;
  r.header.time_us = time_of(n);
  r.header.kind = "request";
  r.header.action = "chat.completions";
  r.header.key_id = n % 2 ? "key-odd" : "key-even";
  r.header.team = team_of(n);
  r.header.role = "user";
  r.header.route = "/v1/chat/completions";
  r.header.model = "echo-test";
  r.header.policy_name = "default";
  r.header.policy_version = version_of(n);
  r.header.decision = decision_of(n);
  r.header.entity_counts = {{"EMAIL", 1}};
  if (has_iban(n)) r.header.entity_counts["IBAN"] = 2;
  r.header.http_status = 200;
  r.payload.set("original", "message " + std::to_string(n) + " from person" + std::to_string(n) + "@example.com");
  return r;
}

struct Fixture {
  std::string owner = fresh_database();
  std::string gateway = owner + " user=warden_gateway";  // INSERT + SELECT only
  fs::path dir;
  std::unique_ptr<audit::ReviewerSecretKey> reviewer = audit::generate_reviewer_key();
  gateway::AuditSettings settings;
  std::unique_ptr<audit::AuditWriter> writer;
  gateway::Metrics metrics;
  std::unique_ptr<gateway::AuditApi> api;
  gateway::Principal auditor{"aud0123456789", "compliance-1", "compliance", gateway::Role::kAuditor, {}, {}};
  std::vector<std::string> ids;  // request records, ids[n-1] for record n
  int accesses = 0;              // calls that reached an /audit/v1 endpoint

  Fixture() {
    char tmpl[] = "/tmp/warden-audit-api-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    dir = tmpl;
    audit::write_reviewer_key_files(*reviewer, dir / "alice", std::nullopt);
    core::Config config;
    config.state_dir = (dir / "state").string();
    config.extra_sections.set("audit", Json::parse(R"({"reviewers": [")" + (dir / "alice.pub").string() +
                                                   R"("], "checkpoint_every_records": 10, "checkpoint_interval_ms": 3600000})"));
    settings = gateway::parse_audit_settings(config);
    gateway::provision_audit_keys(settings, [](auto, const auto&) {});
    writer = gateway::make_audit_writer(settings, gateway, [](auto, const auto&) {});
    gateway::register_audit_metrics(metrics);
    api = std::make_unique<gateway::AuditApi>(gateway, *writer, &metrics,
                                              gateway::AuditApiOptions{settings.trusted_signing_keys, settings.checkpoint_file});
    std::vector<std::future<void>> done;
    for (int n = 1; n <= kRequests; ++n) {
      ids.push_back(audit::new_record_id());
      done.push_back(writer->submit(request_record(n, ids.back())));
    }
    for (int i = 0; i < 3; ++i) {
      done.push_back(writer->submit(audit::make_event_record("admin", "key.create", "adm1", "admins", "admin", "ok",
                                                             Json::object())));
    }
    for (auto& f : done) f.get();
  }
  ~Fixture() {
    api.reset();
    writer.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  gateway::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "") {
    gateway::HttpRequest r;
    r.method = method;
    r.target = target;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = body;
    r.remote_address = "10.1.2.3";
    r.request_id = "req_test";
    REQUIRE(r.path.rfind("/audit/v1/", 0) == 0);
    return api->handle(r, auditor, std::string_view(r.path).substr(10));
  }
  Json get_ok(const std::string& target) {
    auto r = call("GET", target);
    ++accesses;
    INFO(target << " -> " << r.body);
    REQUIRE(r.status == 200);
    return Json::parse(r.body);
  }
  // The 400's error.param, after checking the status.
  std::string bad_param(const std::string& target, const std::string& method = "GET", const std::string& body = "") {
    auto r = call(method, target, body);
    ++accesses;
    INFO(target << " -> " << r.body);
    CHECK(r.status == 400);
    const Json& p = Json::parse(r.body).at("error").at("param");
    return p.is_null() ? "" : p.as_string();
  }
  // All request records matching `query`, following the cursor with pages of `limit`.
  std::vector<Json> all_pages(const std::string& query, int limit, int* pages = nullptr) {
    std::vector<Json> out;
    std::string after;
    for (int page = 1;; ++page) {
      Json body = get_ok("/audit/v1/records?kind=request&limit=" + std::to_string(limit) + query + after);
      for (const auto& rec : body.at("data").as_array()) out.push_back(rec);
      if (pages) *pages = page;
      CHECK(body.at("data").size() <= size_t(limit));
      if (!body.at("has_more").as_bool()) {
        CHECK(body.at("next_after").is_null());
        break;
      }
      after = "&after=" + body.at("next_after").as_string();
    }
    return out;
  }
  size_t count_kind(const std::string& kind) {
    pqxx::connection c{owner};
    pqxx::read_transaction tx{c};
    return tx.exec1("SELECT count(*) FROM audit_records WHERE kind = " + tx.quote(kind))[0].as<size_t>();
  }
  // The newest audit_access record, opened with the reviewer's key.
  Json last_access() {
    audit::AuditReader reader(owner);
    audit::SearchQuery q;
    q.kind = "audit_access";
    q.limit = 1000;
    Json found = reader.search(q, reviewer.get());
    const auto& list = found.at("records").as_array();
    REQUIRE_FALSE(list.empty());
    return list.back();
  }
};

// Rebuilds the stored envelope from the API's JSON and opens it with a reviewer key.
Json open_from_api(const Json& rec, const audit::ReviewerSecretKey& key) {
  audit::SealedRecord sealed;
  sealed.header_text = rec.at("header_text").as_string();
  sealed.header = audit::parse_header(sealed.header_text);
  sealed.nonce = audit::from_base64(rec.at("nonce").as_string(), "nonce");
  sealed.ciphertext = audit::from_base64(rec.at("ciphertext").as_string(), "ciphertext");
  for (const auto& k : rec.at("sealed_keys").as_array()) {
    sealed.sealed_keys.push_back({k.at("reviewer_key_id").as_string(), audit::from_base64(k.at("sealed").as_string(), "sealed")});
  }
  return audit::open_record(sealed, key);
}

}  // namespace

TEST_CASE("audit API: list, page, filter and show records; each access is audited", "[gateway][audit]") {
  Fixture f;

  SECTION("pages follow the cursor without gaps or repeats") {
    int pages = 0;
    std::vector<Json> all = f.all_pages("", 10, &pages);
    CHECK(pages == 3);
    REQUIRE(all.size() == size_t(kRequests));
    std::set<std::string> seen;
    int64_t last_seq = 0;
    for (const auto& rec : all) {
      CHECK(rec.at("seq").as_int() > last_seq);
      last_seq = rec.at("seq").as_int();
      seen.insert(rec.at("record_id").as_string());
    }
    CHECK(seen == std::set<std::string>(f.ids.begin(), f.ids.end()));
    // Default limit 100 returns everything (25 requests + 3 admin + the accesses so far).
    Json everything = f.get_ok("/audit/v1/records");
    CHECK(everything.at("data").size() == size_t(kRequests + 3 + 3));
    CHECK_FALSE(everything.at("has_more").as_bool());
  }

  SECTION("filters match the records' fields") {
    auto count_where = [](auto predicate) {
      size_t n = 0;
      for (int i = 1; i <= kRequests; ++i) n += predicate(i) ? 1 : 0;
      return n;
    };
    CHECK(f.all_pages("&team=legal", 4).size() == count_where([](int n) { return team_of(n) == "legal"; }));
    CHECK(f.all_pages("&decision=blocked", 4).size() == count_where([](int n) { return decision_of(n) == "blocked"; }));
    CHECK(f.all_pages("&entity_type=IBAN", 4).size() == count_where(has_iban));
    CHECK(f.all_pages("&policy_name=default&policy_version=2", 4).size() ==
          count_where([](int n) { return version_of(n) == 2; }));
    CHECK(f.all_pages("&key_id=key-odd&team=research", 4).size() ==
          count_where([](int n) { return n % 2 == 1 && team_of(n) == "research"; }));
    // [from, to): records 5..9 by time; "+01:00" is applied, not ignored.
    auto ranged = f.all_pages("&from=2026-01-01T05:00:00Z&to=2026-01-01T11:00:00%2B01:00", 100);
    REQUIRE(ranged.size() == 5);
    CHECK(ranged.front().at("record_id").as_string() == f.ids[4]);
    CHECK(ranged.back().at("record_id").as_string() == f.ids[8]);
    CHECK(f.get_ok("/audit/v1/records?kind=admin").at("data").size() == 3);
    CHECK(f.get_ok("/audit/v1/records?team=nobody").at("data").size() == 0);
  }

  SECTION("records carry metadata and a sealed envelope only a reviewer can open") {
    Json first_two = f.get_ok("/audit/v1/records?kind=request&limit=2");
    REQUIRE(first_two.at("next_after").is_string());
    Json page = f.get_ok("/audit/v1/records?kind=request&limit=1&after=" + first_two.at("next_after").as_string());
    REQUIRE(page.at("data").size() == 1);
    const Json& rec = page.at("data")[0];
    CHECK(rec.at("seq").as_int() == 3);
    CHECK(rec.at("chain").as_string() == f.writer->stats().chain);
    CHECK(f.get_ok("/audit/v1/records?kind=request&chain=" + f.writer->stats().chain).at("data").size() == size_t(kRequests));
    CHECK(f.get_ok("/audit/v1/records?chain=gw-other").at("data").size() == 0);
    CHECK(rec.at("record_id").as_string() == f.ids[2]);
    CHECK(rec.at("team").as_string() == team_of(3));
    CHECK(rec.at("time").as_string() == "2026-01-01T03:00:00.000000Z");
    CHECK_FALSE(rec.contains("payload"));  // the gateway holds no reviewer key
    CHECK(rec.at("ciphertext").as_string().find("example.com") == std::string::npos);
    Json payload = open_from_api(rec, *f.reviewer);
    CHECK(payload.at("original").as_string() == "message 3 from person3@example.com");
    auto stranger = audit::generate_reviewer_key();
    CHECK_THROWS(open_from_api(rec, *stranger));

    Json one = f.get_ok("/audit/v1/records/" + f.ids[6]);
    CHECK(one.at("seq").as_int() == 7);
    CHECK(open_from_api(one, *f.reviewer).at("original").as_string().rfind("message 7 ", 0) == 0);
    auto missing = f.call("GET", "/audit/v1/records/" + std::string(32, 'a'));
    ++f.accesses;
    CHECK(missing.status == 404);
    CHECK(Json::parse(missing.body).at("error").at("code").as_string() == "record_not_found");
    CHECK(f.last_access().at("decision").as_string() == "not_found");
  }

  SECTION("every access leaves one durable audit_access record with its filters sealed") {
    CHECK(f.count_kind("audit_access") == 0);
    f.get_ok("/audit/v1/records?team=legal&limit=5");
    CHECK(f.count_kind("audit_access") == 1);  // durable before the response came back
    Json access = f.last_access();
    CHECK(access.at("action").as_string() == "audit.search");
    CHECK(access.at("key_id").as_string() == "aud0123456789");
    CHECK(access.at("team").as_string() == "compliance");
    CHECK(access.at("role").as_string() == "auditor");
    CHECK(access.at("route").as_string() == "/audit/v1/records");
    CHECK(access.at("http_status").as_int() == 200);
    CHECK(access.at("client_addr").as_string() == "10.1.2.3");
    const Json& details = access.at("payload").at("details");
    CHECK(details.at("filters").at("team").as_string() == "legal");
    CHECK(details.at("filters").at("limit").as_string() == "5");
    CHECK(details.at("returned").at("count").as_int() == 5);
    // The clear header does not carry the filters.
    CHECK(access.at("hash").as_string().size() == 64);

    f.get_ok("/audit/v1/records/" + f.ids[0]);
    CHECK(f.last_access().at("action").as_string() == "audit.show");
    f.get_ok("/audit/v1/checkpoints");
    CHECK(f.last_access().at("action").as_string() == "audit.checkpoints");
    f.get_ok("/audit/v1/verify");
    CHECK(f.last_access().at("action").as_string() == "audit.verify");
    CHECK(f.bad_param("/audit/v1/records?limit=0") == "limit");
    Json refused = f.last_access();
    CHECK(refused.at("decision").as_string() == "invalid");
    CHECK(refused.at("http_status").as_int() == 400);
    CHECK(f.count_kind("audit_access") == size_t(f.accesses));

    gateway::update_audit_metrics(f.metrics, f.writer->stats());
    std::string text = f.metrics.render();
    INFO(text);
    CHECK_THAT(text, Catch::Contains("warden_audit_records_submitted_total " + std::to_string(kRequests + 3 + f.accesses)));
    CHECK_THAT(text, Catch::Contains("warden_audit_records_stored_total " + std::to_string(kRequests + 3 + f.accesses)));
    CHECK_THAT(text, Catch::Contains("warden_audit_records_spooled_total 0"));
    CHECK_THAT(text, Catch::Contains("warden_audit_healthy 1"));
    CHECK_THAT(text, Catch::Contains("warden_audit_db_connected 1"));
    CHECK_THAT(text, Catch::Contains("warden_audit_queue_depth 0"));
    CHECK_THAT(text, Catch::Contains("warden_audit_last_seq " + std::to_string(kRequests + 3 + f.accesses)));
    CHECK(f.metrics.counter_value("warden_audit_api_requests_total", {{"action", "audit.search"}, {"status", "200"}}) == 1);
    CHECK(f.metrics.counter_value("warden_audit_api_requests_total", {{"action", "audit.search"}, {"status", "400"}}) == 1);
  }

  SECTION("bad parameters get 400 naming the parameter") {
    CHECK(f.bad_param("/audit/v1/records?limit=1001") == "limit");
    CHECK(f.bad_param("/audit/v1/records?limit=ten") == "limit");
    CHECK(f.bad_param("/audit/v1/records?after_seq=2") == "after_seq");  // replaced by the cursor `after`
    CHECK(f.bad_param("/audit/v1/records?after=2") == "after");
    CHECK(f.bad_param("/audit/v1/records?chain=no%20spaces") == "chain");
    CHECK(f.bad_param("/audit/v1/checkpoints?after=x") == "after");
    CHECK(f.bad_param("/audit/v1/verify?chain=a/b") == "chain");
    CHECK(f.bad_param("/audit/v1/records?from=yesterday") == "from");
    CHECK(f.bad_param("/audit/v1/records?to=2026-01-01T00:00:00Zjunk") == "to");
    CHECK(f.bad_param("/audit/v1/records?from=2026-01-02&to=2026-01-01") == "to");
    CHECK(f.bad_param("/audit/v1/records?kind=chat") == "kind");
    CHECK(f.bad_param("/audit/v1/records?policy_version=v2") == "policy_version");
    CHECK(f.bad_param("/audit/v1/records?team=") == "team");
    CHECK(f.bad_param("/audit/v1/records?team=a%00b") == "team");
    CHECK(f.bad_param("/audit/v1/records?colour=red") == "colour");
    CHECK(f.bad_param("/audit/v1/records?text=secret") == "text");
    CHECK(f.bad_param("/audit/v1/records?team=a&team=b") == "team");
    CHECK(f.bad_param("/audit/v1/records?team=%zz").empty());  // malformed escape: no parameter to name
    CHECK(f.bad_param("/audit/v1/records/not-an-id") == "id");
    CHECK(f.bad_param("/audit/v1/checkpoints?limit=0") == "limit");
    CHECK(f.bad_param("/audit/v1/verify?strict=maybe") == "strict");
    CHECK(f.bad_param("/audit/v1/verify", "POST", R"({"strict": "yes"})") == "strict");
    CHECK(f.bad_param("/audit/v1/verify", "POST", R"({"deep": true})") == "deep");
    auto wrong_method = f.call("DELETE", "/audit/v1/records");
    ++f.accesses;
    CHECK(wrong_method.status == 405);
    CHECK(f.call("GET", "/audit/v1/everything").status == 404);  // no endpoint: nothing to record
    CHECK(f.count_kind("audit_access") == size_t(f.accesses));
  }
}

TEST_CASE("audit API: verify passes, then names the record a tamperer changed", "[gateway][audit]") {
  Fixture f;
  Json pass = f.get_ok("/audit/v1/verify");
  INFO(pass.dump(2));
  CHECK(pass.at("result").as_string() == "pass");
  CHECK(pass.at("records_checked").as_int() == kRequests + 3);
  CHECK(pass.at("first_problem").is_null());
  REQUIRE(pass.at("chains").size() == 1);
  CHECK(pass.at("chains")[0].at("chain").as_string() == f.writer->stats().chain);
  CHECK(pass.at("chains")[0].at("attested_seq").as_int() >= 20);
  auto posted = f.call("POST", "/audit/v1/verify?strict=false", R"({"strict": false})");
  CHECK(posted.status == 200);

  // The gateway's role cannot rewrite history...
  {
    pqxx::connection c{f.gateway};
    pqxx::work tx{c};
    CHECK_THROWS(tx.exec0("UPDATE audit_records SET team = 'x' WHERE seq = 5"));
  }
  // ...the owner can, and verify catches it.
  {
    pqxx::connection c{f.owner};
    pqxx::work tx{c};
    tx.exec0("UPDATE audit_records SET ciphertext = set_byte(ciphertext, 2, get_byte(ciphertext, 2) # 1) WHERE seq = 5");
    tx.commit();
  }
  Json fail = f.get_ok("/audit/v1/verify");
  INFO(fail.dump(2));
  CHECK(fail.at("result").as_string() == "fail");
  CHECK_FALSE(fail.at("ok").as_bool());
  const Json& first = fail.at("first_problem");
  CHECK(first.at("seq").as_int() == 5);
  CHECK(first.at("chain").as_string() == f.writer->stats().chain);
  CHECK(first.at("record_id").as_string() == f.ids[4]);
  CHECK_THAT(first.at("problem").as_string(), Catch::Contains("was altered"));
  CHECK(first.at("record").at("seq").as_int() == 5);
  Json access = f.last_access();
  CHECK(access.at("payload").at("details").at("verify").at("result").as_string() == "fail");
}

TEST_CASE("audit API: checkpoints page by seq, never splitting one seq", "[gateway][audit]") {
  Fixture f;
  f.writer->close();
  // Which checkpoints the writer signed depends on how it batched the 28 records; add valid
  // ones so that seq 10 and 20 have one and the head (28) has two kinds, periodic and shutdown.
  {
    audit::AuditStore store(f.owner);
    const std::string chain = f.writer->stats().chain;
    std::vector<audit::Checkpoint> extra;
    for (uint64_t seq : {10, 20}) {
      auto rec = store.records_from(chain, seq, 1);
      REQUIRE(rec.size() == 1);
      extra.push_back(audit::sign_checkpoint(chain, seq, rec[0].record.hash, "periodic", *f.settings.signing_key));
    }
    auto head = store.head(chain);
    REQUIRE(head);
    REQUIRE(head->first == uint64_t(kRequests + 3));
    for (const char* kind : {"periodic", "shutdown"}) {
      extra.push_back(audit::sign_checkpoint(chain, head->first, head->second, kind, *f.settings.signing_key));
    }
    store.insert({}, extra);  // ON CONFLICT DO NOTHING keeps the writer's own
  }
  auto reopened = gateway::make_audit_writer(f.settings, f.gateway, [](auto, const auto&) {});
  f.api = std::make_unique<gateway::AuditApi>(f.gateway, *reopened, &f.metrics,
                                              gateway::AuditApiOptions{f.settings.trusted_signing_keys, f.settings.checkpoint_file});
  Json all = f.get_ok("/audit/v1/checkpoints?limit=1000");
  std::vector<std::pair<int64_t, std::string>> expected;
  for (const auto& cp : all.at("data").as_array()) expected.emplace_back(cp.at("seq").as_int(), cp.at("kind").as_string());
  REQUIRE(expected.size() >= 4);
  CHECK(expected.back() == std::make_pair(int64_t(kRequests + 3), std::string("shutdown")));
  std::vector<std::pair<int64_t, std::string>> paged;
  std::string after;
  int pages = 0;
  for (; pages < 20; ++pages) {
    Json page = f.get_ok("/audit/v1/checkpoints?limit=1" + after);
    for (const auto& cp : page.at("data").as_array()) paged.emplace_back(cp.at("seq").as_int(), cp.at("kind").as_string());
    if (!page.at("has_more").as_bool()) break;
    after = "&after=" + page.at("next_after").as_string();
  }
  CHECK(paged == expected);
  CHECK(size_t(pages + 1) == expected.size() - 1);  // the two at seq 28 came on one page
  const Json& cp = all.at("data")[0];
  CHECK(cp.at("signing_key_id").as_string() == f.settings.signing_key->public_key().key_id);
  CHECK(cp.at("head_hash").as_string().size() == 64);
  Json verified = f.get_ok("/audit/v1/verify");
  CHECK(verified.at("result").as_string() == "pass");
  f.api.reset();
  reopened->close();
}

TEST_CASE("audit API: 503 when the store cannot be read or the access cannot be recorded", "[gateway][audit]") {
  Fixture f;
  // The store cannot be read (the writer is fine): 503, and the failed access is on record.
  f.api = std::make_unique<gateway::AuditApi>("host=/nonexistent-warden-socket-dir port=1 dbname=x user=y connect_timeout=2",
                                              *f.writer, nullptr);
  auto unreadable = f.call("GET", "/audit/v1/records?team=legal");
  CHECK(unreadable.status == 503);
  CHECK(Json::parse(unreadable.body).at("error").at("code").as_string() == "audit_store_unavailable");
  CHECK(f.count_kind("audit_access") == 1);
  Json failed = f.last_access();
  CHECK(failed.at("decision").as_string() == "failed");
  CHECK(failed.at("http_status").as_int() == 503);
  CHECK(failed.at("payload").at("details").at("filters").at("team").as_string() == "legal");

  f.writer->close();  // the writer takes no more records
  for (const char* target : {"/audit/v1/records", "/audit/v1/verify", "/audit/v1/checkpoints"}) {
    auto r = f.call("GET", target);
    INFO(target << " -> " << r.body);
    CHECK(r.status == 503);
    CHECK(Json::parse(r.body).at("error").at("code").as_string() == "audit_unavailable");
    CHECK(r.body.find("record_id") == std::string::npos);
  }
  CHECK(f.count_kind("audit_access") == 1);  // only the one before the close
}

TEST_CASE("audit API: two chains in one database page in one order; verify reports each chain", "[gateway][audit]") {
  Fixture f;
  const std::string first_chain = f.writer->stats().chain;
  REQUIRE(first_chain.rfind("gw-", 0) == 0);
  audit::WriterConfig c;
  c.conninfo = f.gateway;
  c.chain = "gw-second";
  c.reviewers = f.settings.reviewers;
  c.signing_key = f.settings.signing_key;
  c.spool_path = f.dir / "second.spool";
  c.checkpoint_every_records = 4;
  c.log = [](const std::string&) {};
  {
    audit::AuditWriter second(c);
    for (int n = 1; n <= 6; ++n) {
      audit::AuditRecord r = request_record(n, audit::new_record_id());
      r.header.time_us += 1800LL * 1000000;  // half an hour after the first chain's record n
      second.submit(r).get();
    }
    second.close();
  }
  int pages = 0;
  std::vector<Json> all = f.all_pages("", 4, &pages);
  REQUIRE(all.size() == size_t(kRequests + 6));
  CHECK(pages == (kRequests + 6 + 3) / 4);
  std::set<std::pair<std::string, int64_t>> seen;
  int switches = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    seen.emplace(all[i].at("chain").as_string(), all[i].at("seq").as_int());
    if (i > 0) {
      CHECK(all[i - 1].at("time").as_string() <= all[i].at("time").as_string());
      switches += all[i - 1].at("chain").as_string() != all[i].at("chain").as_string();
    }
  }
  CHECK(seen.size() == all.size());  // nothing twice, nothing skipped
  CHECK(switches >= 11);             // the chains interleave in time
  CHECK(f.all_pages("&chain=gw-second", 4).size() == 6);

  Json report = f.get_ok("/audit/v1/verify");  // not strict: the first writer is still open
  INFO(report.dump(2));
  CHECK(report.at("result").as_string() == "pass");
  REQUIRE(report.at("chains").size() == 2);
  CHECK(report.at("chains")[0].at("chain").as_string() == first_chain);
  CHECK(report.at("chains")[1].at("chain").as_string() == "gw-second");
  CHECK(report.at("chains")[1].at("attested_seq").as_int() == 6);
  Json one = f.get_ok("/audit/v1/verify?chain=gw-second");
  REQUIRE(one.at("chains").size() == 1);
  CHECK(one.at("records_checked").as_int() == 6);

  Json cps = f.get_ok("/audit/v1/checkpoints?chain=gw-second");
  REQUIRE(cps.at("data").size() == 2);  // periodic at 4, shutdown at 6
  for (const auto& cp : cps.at("data").as_array()) CHECK(cp.at("chain").as_string() == "gw-second");
  Json every = f.get_ok("/audit/v1/checkpoints?limit=1000");
  std::vector<std::string> expected, paged;
  for (const auto& cp : every.at("data").as_array()) expected.push_back(cp.at("chain").as_string() + "/" + cp.at("seq").dump() + "/" + cp.at("kind").as_string());
  std::string after;
  for (int page = 0; page < 50; ++page) {
    Json body = f.get_ok("/audit/v1/checkpoints?limit=1" + after);
    for (const auto& cp : body.at("data").as_array()) paged.push_back(cp.at("chain").as_string() + "/" + cp.at("seq").dump() + "/" + cp.at("kind").as_string());
    if (!body.at("has_more").as_bool()) break;
    after = "&after=" + body.at("next_after").as_string();
  }
  // The open writer signs more checkpoints of its chain (accesses are records) while we page.
  std::vector<std::string> known;
  for (const auto& e : paged) {
    if (std::find(expected.begin(), expected.end(), e) != expected.end()) known.push_back(e);
  }
  CHECK(known == expected);
  CHECK(std::set<std::string>(paged.begin(), paged.end()).size() == paged.size());
}

TEST_CASE("audit chain id: audit.chain, else state_dir/audit/chain-id made once; main for an upgraded gateway",
          "[gateway][audit]") {
  const std::string db = fresh_database();
  char tmpl[] = "/tmp/warden-audit-chain-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  const fs::path dir = tmpl;
  auto settings_for = [&](const std::string& state, const std::string& extra) {
    core::Config config;
    config.state_dir = (dir / state).string();
    config.extra_sections.set("audit", Json::parse("{\"demo_reviewer\": true" + extra + "}"));
    gateway::AuditSettings s = gateway::parse_audit_settings(config);
    gateway::provision_audit_keys(s, [](auto, const auto&) {});
    return s;
  };
  auto quiet = [](auto, const auto&) {};

  gateway::AuditSettings a = settings_for("a", "");
  const std::string id = gateway::resolve_audit_chain(a, db, quiet);
  CHECK(id.size() == 15);
  CHECK(id.rfind("gw-", 0) == 0);
  CHECK(audit::chain_id_problem(id).empty());
  std::ifstream in(dir / "a" / "audit" / "chain-id");
  std::string stored;
  std::getline(in, stored);
  CHECK(stored == id);
  CHECK(gateway::resolve_audit_chain(a, db, quiet) == id);  // stable across restarts
  gateway::AuditSettings b = settings_for("b", "");
  CHECK(gateway::resolve_audit_chain(b, db, quiet) != id);  // unique per state_dir

  gateway::AuditSettings named = settings_for("c", ", \"chain\": \"eu-1\"");
  CHECK(gateway::resolve_audit_chain(named, db, quiet) == "eu-1");
  CHECK_FALSE(fs::exists(dir / "c" / "audit" / "chain-id"));

  // An upgraded gateway: its checkpoint export holds lines from before chains (no "chain").
  gateway::AuditSettings old_export = settings_for("d", "");
  fs::create_directories(old_export.checkpoint_file.parent_path());
  audit::Checkpoint legacy = audit::sign_checkpoint("main", 3, std::string(32, '\1'), "shutdown", *old_export.signing_key);
  Json line = audit::checkpoint_to_json(legacy);
  Json without_chain = Json::object();
  for (const auto& [k, v] : line.as_object()) {
    if (k != "chain") without_chain.set(k, v);
  }
  std::ofstream(old_export.checkpoint_file) << without_chain.dump() << "\n";
  CHECK(gateway::resolve_audit_chain(old_export, db, quiet) == "main");

  // ...or the database holds chain-main checkpoints signed with its key (export file gone).
  gateway::AuditSettings old_db = settings_for("e", "");
  {
    audit::AuditStore store(db);
    store.insert({}, {audit::sign_checkpoint("main", 3, std::string(32, '\1'), "shutdown", *old_db.signing_key)});
  }
  CHECK(gateway::resolve_audit_chain(old_db, db, quiet) == "main");
  CHECK(gateway::resolve_audit_chain(settings_for("f", ""), db, quiet) != "main");  // another key: a new chain

  std::ofstream(dir / "a" / "audit" / "chain-id") << "not valid!\n";
  CHECK_THROWS_WITH(gateway::resolve_audit_chain(a, db, quiet),
                    Catch::Contains("audit chain id file " + (dir / "a" / "audit" / "chain-id").string()));
  std::error_code ec;
  fs::remove_all(dir, ec);
}
