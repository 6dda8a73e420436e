// What is particular to the PostgreSQL store: connecting, migrations shared by several
// servers, a connection lost while running. Needs OCCHAT_TEST_PG_URI (skipped without it),
// except where no cluster is involved.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "occhat/store/pg_store.hpp"
#include "occhat/store/store.hpp"
#include "store_backends.hpp"

namespace {

using occhat::ErrorCode;
using occhat::store::open_pg_store;
using occhat::store::StoreError;
using occhat::testing::pg_admin;

TEST(StorePgConnect, AnUnreachableDatabaseIsUnavailableAndSaysWhere) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  try {
    open_pg_store("postgresql://occhat@127.0.0.1:1/occhat?connect_timeout=5");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable);
    const std::string text = e.what();
    EXPECT_NE(text.find("cannot connect to PostgreSQL"), std::string::npos) << text;
    EXPECT_NE(text.find("127.0.0.1"), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << "one line: " << text;
  }
}

TEST(StorePgConnect, APasswordIsNeverInTheError) {
  try {
    open_pg_store("postgresql://occhat:s3cret-pw@127.0.0.1:1/occhat");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cret-pw"), std::string::npos) << e.what();
  }
}

class StorePgTest : public occhat::testing::StoreBackendTest {
 protected:
  bool admin(const std::string& sql) {
    std::string error;
    const bool ok = pg_admin(pg_uri_, sql, error);
    EXPECT_TRUE(ok) << sql << ": " << error;
    return ok;
  }
};

TEST_P(StorePgTest, SchemaVersionIsSqlites) {
  char tmpl[] = "/tmp/occhat-store-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const int sqlite_version = occhat::store::open_store(dir + "/x.db")->schema_version();
  std::filesystem::remove_all(dir);
  EXPECT_EQ(store_->schema_version(), sqlite_version);
}

TEST_P(StorePgTest, ANewerSchemaIsRefused) {
  ASSERT_TRUE(admin("UPDATE " + schema_ + ".schema_version SET version = 999"));
  store_.reset();
  try {
    open();
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_NE(std::string(e.what()).find("newer than this server understands"), std::string::npos) << e.what();
  }
}

TEST_P(StorePgTest, ReopeningMigratesNothingTwice) {
  ASSERT_TRUE(store_->create_user(424242, "a@x", "alice", "h"));
  const int version = store_->schema_version();
  reopen();
  EXPECT_EQ(store_->schema_version(), version);
  EXPECT_EQ(store_->user_count(), 1u);
}

TEST_P(StorePgTest, ServersStartingTogetherMigrateOnce) {
  // A fresh schema, then several connections opening it at the same moment.
  store_.reset();
  ASSERT_TRUE(admin("DROP SCHEMA " + schema_ + " CASCADE; CREATE SCHEMA " + schema_));
  std::vector<std::thread> threads;
  std::vector<int> versions(4, -1);
  for (std::size_t i = 0; i < versions.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        versions[i] = open()->schema_version();
      } catch (const StoreError& e) {
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const int version : versions) EXPECT_EQ(version, versions[0]);
  EXPECT_GE(versions[0], 1);
}

TEST_P(StorePgTest, AConnectionCutWhileIdleIsReplacedOnTheNextCall) {
  ASSERT_TRUE(store_->create_user(424242, "a@x", "alice", "h"));
  // What a database restart does to an idle connection.
  ASSERT_TRUE(admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + schema_ +
                    "'"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto user = store_->find_user(424242);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->nick, "alice");
}

// A private cluster (the shared one serves other tests in parallel): started, stopped and
// started again with scripts/pg-cluster.sh, removed at the end.
class PrivateCluster {
 public:
  PrivateCluster() {
    char tmpl[] = "/tmp/occhat-pg-outage-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    uri_ = run("start");
  }
  ~PrivateCluster() {
    if (!dir_.empty()) run("stop");
  }
  const std::string& uri() const { return uri_; }
  // The script's stdout, trimmed; "" if it failed.
  std::string run(const std::string& command) const {
    const std::string line = std::string(OCCHAT_PG_CLUSTER_SCRIPT) + " " + command + " " + dir_;
    FILE* pipe = ::popen(line.c_str(), "r");
    if (pipe == nullptr) return "";
    std::string out;
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    const int status = ::pclose(pipe);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return status == 0 ? out : "";
  }

 private:
  std::string dir_;
  std::string uri_;
};

TEST(StorePgOutage, CallsFailUnavailableWhileTheDatabaseIsDownAndRecoverAfter) {
  if (std::getenv("OCCHAT_TEST_PG_URI") == nullptr) {
    GTEST_SKIP() << "OCCHAT_TEST_PG_URI is not set: PostgreSQL tests are off";
  }
  PrivateCluster cluster;
  ASSERT_NE(cluster.uri(), "") << "cannot start a private cluster";
  auto store = open_pg_store(cluster.uri());
  ASSERT_TRUE(store->create_user(424242, "a@x", "alice", "h"));

  ASSERT_EQ(cluster.run("down"), "");
  for (int attempt = 0; attempt < 2; ++attempt) {  // every call while it is down, not just the first
    try {
      store->find_user(424242);
      FAIL() << "expected StoreError while the database is down";
    } catch (const StoreError& e) {
      EXPECT_EQ(e.code(), ErrorCode::unavailable) << e.what();
    }
  }
  try {
    store->create_user(434343, "b@x", "bob", "h");
    FAIL() << "expected StoreError while the database is down";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable) << e.what();
  }

  ASSERT_EQ(cluster.run("up"), "");
  // The same Store object carries on: nothing acknowledged was lost, the failed write was not
  // half-stored.
  const auto alice = store->find_user(424242);
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->nick, "alice");
  EXPECT_FALSE(store->find_user(434343));
  EXPECT_TRUE(store->create_user(434343, "b@x", "bob", "h"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StorePgTest, ::testing::Values(occhat::testing::StoreBackend::postgresql),
                         occhat::testing::backend_name);

}  // namespace
