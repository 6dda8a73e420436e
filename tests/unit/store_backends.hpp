#pragma once
// A fresh, empty store per test on each backend, for the store contract tests: the same test
// body runs on SQLite (a file in a temp dir) and on PostgreSQL (a schema of its own in the
// database named by OCCHAT_TEST_PG_URI; scripts/pg-cluster.sh starts a throwaway cluster and
// scripts/test.sh sets the variable). Without the variable the PostgreSQL cases are skipped,
// saying so.
//
// Use: class MyTest : public occhat::testing::StoreBackendTest {};
//      TEST_P(MyTest, Something) { store_->... ; reopen(); ... }
//      OCCHAT_INSTANTIATE_STORE_BACKENDS(MyTest);

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "occhat/store/pg_store.hpp"
#include "occhat/store/store.hpp"

namespace occhat::testing {

enum class StoreBackend { sqlite, postgresql };

// For gtest's test listings: "GetParam() = postgresql".
inline void PrintTo(StoreBackend backend, std::ostream* out) {
  *out << (backend == StoreBackend::sqlite ? "sqlite" : "postgresql");
}

inline std::string backend_name(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param == StoreBackend::sqlite ? "sqlite" : "postgresql";
}

// Runs one statement on the test cluster's database; false (with `error` set) if it failed.
inline bool pg_admin(const std::string& uri, const std::string& sql, std::string& error) {
  PGconn* conn = PQconnectdb(uri.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* result = PQexec(conn, sql.c_str());
    ok = PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
    if (!ok) error = PQresultErrorMessage(result);
    PQclear(result);
  } else {
    error = PQerrorMessage(conn);
  }
  PQfinish(conn);
  return ok;
}

class StoreBackendTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    if (GetParam() == StoreBackend::postgresql) {
      const char* uri = std::getenv("OCCHAT_TEST_PG_URI");
      if (uri == nullptr || *uri == '\0') {
        GTEST_SKIP() << "OCCHAT_TEST_PG_URI is not set: no PostgreSQL cluster to test against "
                        "(scripts/pg-cluster.sh start prints one; scripts/test.sh sets it)";
      }
      pg_uri_ = uri;
      static std::atomic<int> counter{0};
      schema_ = "occhat_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
      std::string error;
      ASSERT_TRUE(pg_admin(pg_uri_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_, error))
          << "cannot prepare a schema on " << pg_uri_ << ": " << error;
      // Every connection of this test sees only its own schema, and is named after it (so a test
      // can cut its own connections and no other's).
      location_ = pg_uri_ + (pg_uri_.find('?') == std::string::npos ? "?" : "&") +
                  "options=-csearch_path%3D" + schema_ + "&application_name=" + schema_;
    } else {
      char tmpl[] = "/tmp/occhat-store-test-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      location_ = (dir_ / "occhat.db").string();
    }
    store_ = open();
  }

  void TearDown() override {
    store_.reset();
    if (!schema_.empty()) {
      std::string error;
      pg_admin(pg_uri_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE", error);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // Another connection to this test's store.
  std::unique_ptr<store::Store> open() const {
    return GetParam() == StoreBackend::postgresql ? store::open_pg_store(location_) : store::open_store(location_);
  }

  void reopen() {
    store_.reset();
    store_ = open();
  }

  // Runs SQL on the store behind its back, with the store closed: `sqlite_sql` on SQLite,
  // `pg_sql` on PostgreSQL (in the test's own schema).
  void raw_sql(const std::string& sqlite_sql, const std::string& pg_sql) {
    store_.reset();
    if (GetParam() == StoreBackend::postgresql) {
      std::string error;
      ASSERT_TRUE(pg_admin(pg_uri_, "SET search_path TO " + schema_ + "; " + pg_sql, error)) << error;
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(location_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sqlite_sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }

  std::string location_;
  std::unique_ptr<store::Store> store_;
  std::string pg_uri_;  // PostgreSQL: the cluster's URI, and the test's own schema in it
  std::string schema_;

 private:
  std::filesystem::path dir_;
};

}  // namespace occhat::testing

#define OCCHAT_INSTANTIATE_STORE_BACKENDS(suite)                                                       \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                            \
                           ::testing::Values(::occhat::testing::StoreBackend::sqlite,                   \
                                             ::occhat::testing::StoreBackend::postgresql),              \
                           ::occhat::testing::backend_name)
