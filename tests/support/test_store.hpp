#pragma once
// Which store the integration tests' servers use. OCCHAT_TEST_STORE=postgresql (the ctest
// variants named *.postgresql set it) gives each test server a PostgreSQL schema of its own on
// the cluster OCCHAT_TEST_PG_URI names (scripts/test.sh starts a throwaway one), passed as
// --store; unset, the server keeps its SQLite file in its data dir. Header-only: only the gtest
// suites use it (through test::ServerProcess), never the bench or the fuzz targets.
//
// A second server started on the same data dir (a restart test) finds the schema's name in the
// data dir and uses the same schema; the server that created it drops it when it is destroyed.

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace occhat::test {

class TestStore {
 public:
  // Refused with this message when OCCHAT_TEST_STORE=postgresql has no cluster to use; ctest
  // reports such tests as skipped (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt).
  static constexpr const char* kNoCluster = "OCCHAT_TEST_PG_URI is not set: no PostgreSQL cluster for the tests";

  explicit TestStore(const std::string& data_dir) {
    const char* kind = std::getenv("OCCHAT_TEST_STORE");
    if (kind == nullptr || std::string(kind) != "postgresql") return;
    const char* uri = std::getenv("OCCHAT_TEST_PG_URI");
    if (uri == nullptr || *uri == '\0') throw std::runtime_error(kNoCluster);
    uri_ = uri;
    if (!data_dir.empty()) {
      std::ifstream marker(marker_path(data_dir));
      std::getline(marker, schema_);
    }
    if (schema_.empty()) {
      static std::atomic<int> counter{0};
      schema_ = "occhat_server_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
      admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_);
      owned_ = true;
    }
    location_ = uri_ + (uri_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
  }
  ~TestStore() {
    if (owned_) {
      try {
        admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
      } catch (const std::exception&) {
        // The cluster is gone already: nothing left to drop.
      }
    }
  }
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  // The server's extra arguments: {"--store", LOCATION}, or none for SQLite.
  std::vector<std::string> server_args() const {
    if (location_.empty()) return {};
    return {"--store", location_};
  }
  // Records the schema in `data_dir` (which exists once its server started) for later servers.
  void remember_in(const std::string& data_dir) const {
    if (owned_) std::ofstream(marker_path(data_dir)) << schema_ << "\n";
  }

 private:
  static std::filesystem::path marker_path(const std::string& data_dir) {
    return std::filesystem::path(data_dir) / "test-pg-schema";
  }

  void admin(const std::string& sql) const {
    PGconn* conn = PQconnectdb(uri_.c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
      error = PQerrorMessage(conn);
    } else {
      PGresult* result = PQexec(conn, sql.c_str());
      if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
      PQclear(result);
    }
    PQfinish(conn);
    if (!error.empty()) throw std::runtime_error("PostgreSQL test store on " + uri_ + ": " + error);
  }

  std::string uri_;
  std::string schema_;
  std::string location_;
  bool owned_ = false;
};

}  // namespace occhat::test
