// Embedded PostgreSQL launcher: start, connect, restart on the same cluster, stale pid file.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "audit_fixture.h"
#include "core/embedded_pg.h"

namespace fs = std::filesystem;
using warden::core::EmbeddedPgOptions;
using warden::core::EmbeddedPostgres;

TEST_CASE("temporary cluster starts, accepts connections and is removed", "[embedded_pg]") {
  fs::path root;
  {
    auto pg = EmbeddedPostgres::temporary();
    REQUIRE(pg->running());
    root = pg->options().data_dir.parent_path();
    REQUIRE(fs::exists(root / "data" / "PG_VERSION"));
    pqxx::connection c{pg->conninfo()};
    pqxx::work tx{c};
    auto row = tx.exec1("SELECT current_database(), current_user, 40 + 2");
    CHECK(row[0].as<std::string>() == "warden");
    CHECK(row[1].as<std::string>() == "warden");
    CHECK(row[2].as<int>() == 42);
    // Unix socket only: no TCP listener.
    CHECK(tx.exec1("SHOW listen_addresses")[0].as<std::string>().empty());
    if (::geteuid() == 0) {
      // The server must not run as root.
      int backend = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
      struct stat st {};
      REQUIRE(::stat(("/proc/" + std::to_string(backend)).c_str(), &st) == 0);
      CHECK(st.st_uid != 0);
    }
    pg->create_database("other_db");
    pg->create_database("other_db");  // idempotent
    pqxx::connection c2{pg->conninfo("other_db")};
    CHECK(c2.is_open());
  }
  CHECK_FALSE(fs::exists(root));
}

TEST_CASE("restart reuses the cluster and a stale pid file does not block start", "[embedded_pg]") {
  audit_test::TempDir tmp;
  ::chmod(tmp.path.c_str(), 0755);
  fs::path dir = tmp.path / "second";
  fs::create_directories(dir);
  if (::geteuid() == 0) {
    // The service user needs to own the parent to create the cluster below it.
    std::string cmd = "chown warden " + dir.string();
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  EmbeddedPgOptions o;
  o.data_dir = dir / "data";
  o.fsync = false;
  {
    EmbeddedPostgres pg(o);
    pg.start();
    pqxx::connection c{pg.conninfo()};
    pqxx::work tx{c};
    tx.exec0("CREATE TABLE kept (v int)");
    tx.exec0("INSERT INTO kept VALUES (7)");
    tx.commit();
    pg.stop();
    CHECK_FALSE(pg.running());
    pg.start();  // same object, same cluster
    pqxx::connection c2{pg.conninfo()};
    pqxx::work tx2{c2};
    CHECK(tx2.exec1("SELECT v FROM kept")[0].as<int>() == 7);
    tx2.commit();
    pg.kill_hard();  // leaves postmaster.pid behind, as a crash would
  }
  REQUIRE(fs::exists(o.data_dir / "postmaster.pid"));
  {
    // Make the stale pid file name a live non-postgres process (our own pid): must be ignored.
    std::string content;
    {
      std::ifstream in(o.data_dir / "postmaster.pid");
      std::string first;
      std::getline(in, first);
      std::ostringstream rest;
      rest << in.rdbuf();
      content = std::to_string(::getpid()) + "\n" + rest.str();
    }
    std::ofstream(o.data_dir / "postmaster.pid", std::ios::trunc) << content;
    EmbeddedPostgres pg(o);
    pg.start();
    pqxx::connection c{pg.conninfo()};
    pqxx::work tx{c};
    CHECK(tx.exec1("SELECT v FROM kept")[0].as<int>() == 7);
  }
  // A server that cannot start reports why, with its log.
  EmbeddedPgOptions bad = o;
  bad.settings = {{"no_such_setting_xyz", "1"}};
  EmbeddedPostgres broken(bad);
  REQUIRE_THROWS_WITH(broken.start(), Catch::Contains("no_such_setting_xyz"));
  CHECK_FALSE(broken.running());
}

TEST_CASE("a second server on a running cluster is refused", "[embedded_pg]") {
  EmbeddedPgOptions o = audit_test::cluster().options();  // running: must refuse
  o.port = 0;
  EmbeddedPostgres second(o);
  REQUIRE_THROWS_WITH(second.start(), Catch::Contains("already running"));

}
