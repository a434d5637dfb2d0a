// `warden audit ...` subcommands driven through run_audit_command.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "audit/cli.h"
#include "audit/store.h"
#include "audit_fixture.h"

using namespace warden::audit;
using audit_test::TempDir;

namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run audit(std::vector<std::string> args) {
  std::istringstream in;
  std::ostringstream out, err;
  int code = run_audit_command(args, in, out, err);
  return {code, out.str(), err.str()};
}

size_t lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("audit CLI: keygen, search, show, export, verify, prune", "[audit][cli]") {
  TempDir dir;
  std::string db = audit_test::fresh_database("cli");
  std::string p = dir.path.string();
  ::setenv("WARDEN_TEST_PASSPHRASE", "open sesame", 1);
  REQUIRE(audit({"keygen", "--out", p + "/reviewer", "--passphrase-env", "WARDEN_TEST_PASSPHRASE"}).code == 0);
  REQUIRE(audit({"signing-keygen", "--out", p + "/gateway"}).code == 0);

  // The gateway side: reviewer public key + signing key from the files just written.
  {
    WriterConfig config;
    config.conninfo = db;
    config.reviewers = {load_reviewer_public_key(p + "/reviewer.pub")};
    config.signing_key = load_signing_key(p + "/gateway.key", std::nullopt);
    config.spool_path = dir.path / "spool";
    config.checkpoint_file = dir.path / "checkpoints.jsonl";
    config.checkpoint_every_records = 5;
    config.log = [](const std::string&) {};
    AuditWriter writer(config);
    for (int i = 1; i <= 12; ++i) {
      AuditRecord r = audit_test::sample_record(i);
      r.header.time_us = parse_time("2026-01-" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "T12:00:00Z");
      writer.submit(r).get();
    }
    writer.close();
  }

  Run search = audit({"search", "--db", db, "--team", "legal"});
  CHECK(search.code == 0);
  CHECK(lines(search.out) == 4);  // 3, 6, 9, 12
  Run text = audit({"search", "--db", db, "--text", "person5@", "--key", p + "/reviewer.key", "--passphrase-env",
                    "WARDEN_TEST_PASSPHRASE"});
  CHECK(text.code == 0);
  CHECK(lines(text.out) == 1);
  CHECK_THAT(text.out, Catch::Contains("\"seq\":5"));
  Run ranged = audit({"search", "--db", db, "--from", "2026-01-03", "--to", "2026-01-05"});
  CHECK(lines(ranged.out) == 2);
  // Every record names its chain (the writer's default here: main); --chain filters by it.
  CHECK_THAT(search.out, Catch::Contains("\"chain\":\"main\",\"seq\":3,"));
  CHECK(lines(audit({"search", "--db", db, "--chain", "main"}).out) == 12);
  CHECK(audit({"search", "--db", db, "--chain", "gw-elsewhere"}).out.empty());
  Run bad_chain = audit({"search", "--db", db, "--chain", "no/slashes"});
  CHECK(bad_chain.code == 2);
  CHECK_THAT(bad_chain.err, Catch::Contains("--chain: chain id \"no/slashes\" may only contain"));
  // Pages follow the cursor printed with "more".
  Run first_page = audit({"search", "--db", db, "--limit", "5"});
  REQUIRE(lines(first_page.out) == 6);
  std::string more = first_page.out.substr(first_page.out.rfind("{\"more\""));
  std::string cursor = warden::core::Json::parse(more).at("next_after").as_string();
  Run second_page = audit({"search", "--db", db, "--limit", "5", "--after", cursor});
  CHECK_THAT(second_page.out, Catch::StartsWith("{\"chain\":\"main\",\"seq\":6,"));

  std::string id = warden::core::Json::parse(text.out.substr(0, text.out.find('\n'))).at("record_id").as_string();
  Run show = audit({"show", id, "--db", db, "--key", p + "/reviewer.key", "--passphrase-env", "WARDEN_TEST_PASSPHRASE"});
  CHECK(show.code == 0);
  CHECK_THAT(show.out, Catch::Contains("person5@example.com"));
  Run show_locked = audit({"show", id, "--db", db, "--key", p + "/reviewer.key"});
  CHECK(show_locked.code == 1);
  CHECK_THAT(show_locked.err, Catch::Contains("passphrase is required"));

  Run csv = audit({"export", "--db", db, "--format", "csv", "--out", p + "/export.csv"});
  CHECK(csv.code == 0);
  std::ifstream csv_in(p + "/export.csv");
  std::string csv_text((std::istreambuf_iterator<char>(csv_in)), {});
  CHECK(lines(csv_text) == 13);
  CHECK(csv_text.rfind("chain,seq,record_id,time,", 0) == 0);
  CHECK(csv_text.find("person") == std::string::npos);  // no payload without a key
  Run jsonl = audit({"export", "--db", db, "--format", "jsonl", "--key", p + "/reviewer.key", "--passphrase-env",
                     "WARDEN_TEST_PASSPHRASE"});
  CHECK(lines(jsonl.out) == 12);
  CHECK_THAT(jsonl.out, Catch::Contains("person12@example.com"));
  CHECK(audit({"export", "--db", db, "--format", "xml"}).code == 2);

  Run verify = audit({"verify", "--db", db, "--signing-pub", p + "/gateway.pub", "--checkpoints",
                      p + "/checkpoints.jsonl", "--strict"});
  INFO(verify.out << verify.err);
  CHECK(verify.code == 0);
  CHECK(verify.out.rfind("PASS", 0) == 0);
  CHECK_THAT(verify.out, Catch::Contains("chain main: pass, 12 records (seq 1..12)"));
  Run one_chain = audit({"verify", "--db", db, "--signing-pub", p + "/gateway.pub", "--chain", "main", "--json"});
  CHECK(one_chain.code == 0);
  CHECK(warden::core::Json::parse(one_chain.out).at("chains").size() == 1);
  Run exported_cps = audit({"export-checkpoints", "--db", db, "--out", p + "/cps.jsonl", "--chain", "main"});
  CHECK(exported_cps.code == 0);
  std::ifstream cps_in(p + "/cps.jsonl");
  std::string first_cp;
  REQUIRE(std::getline(cps_in, first_cp));
  CHECK(first_cp.rfind("{\"chain\":\"main\",\"seq\":5,", 0) == 0);
  CHECK(audit({"verify", "--db", db}).code == 2);  // no trusted key given

  // Prune the first week; the chain stays verifiable through the signed prune marker.
  Run prune = audit({"prune", "--db", db, "--before", "2026-01-08", "--signing-key", p + "/gateway.key"});
  CHECK(prune.code == 0);
  CHECK_THAT(prune.out, Catch::Contains("pruned 7 records"));
  Run after = audit({"verify", "--db", db, "--signing-pub", p + "/gateway.pub", "--strict"});
  INFO(after.out);
  CHECK(after.code == 0);
  CHECK(lines(audit({"search", "--db", db}).out) == 5);

  // Tampering after the prune is still caught, and named.
  {
    pqxx::connection c{db};
    pqxx::work tx{c};
    tx.exec0("DELETE FROM audit_records WHERE seq = 9");
    tx.commit();
  }
  Run failed = audit({"verify", "--db", db, "--signing-pub", p + "/gateway.pub"});
  CHECK(failed.code == 1);
  CHECK_THAT(failed.out, Catch::Contains("first problem: chain main, seq 9: records seq 9..9 are missing"));

  CHECK(audit({"bogus"}).code == 2);
  CHECK(audit({"search", "--nope", "1"}).code == 2);
}
