// The store executors without a server process: many concurrent run() calls from coroutines on
// a test io_context, against a real SQLite file. SqliteStoreExecutor must batch them into few
// group commits and answer each only after its commit; PooledStoreExecutor must stay correct
// with several SQLite connections writing at once (busy_timeout, BEGIN IMMEDIATE).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "occhat/store/sqlite_store.hpp"
#include "pooled_store_executor.hpp"
#include "sqlite_store_executor.hpp"

namespace occhat::server {
namespace {

namespace fs = std::filesystem;
using store::Store;
using store::StoreError;

// A real SqliteStore that counts group commits and can report them as failed.
class CountingStore final : public store::SqliteStore {
 public:
  explicit CountingStore(std::unique_ptr<store::SqliteStore> inner) : inner_(std::move(inner)) {}

  std::atomic<int> commits{0};
  std::atomic<bool> fail_commits{false};

  void begin_batch() override { inner_->begin_batch(); }
  void commit_batch() override {
    inner_->commit_batch();
    ++commits;
    if (fail_commits) throw StoreError(ErrorCode::internal, "commit failed (test)");
  }

  store::RoomView create_room(std::uint32_t owner, std::string_view name, std::uint32_t max_owned) override {
    return inner_->create_room(owner, name, max_owned);
  }
  store::RoomChangeResult change_room(const store::RoomChange& change) override { return inner_->change_room(change); }
  store::RoomLists rooms(std::uint32_t user_id) override { return inner_->rooms(user_id); }
  store::RoomMembersPage room_members(std::uint32_t user_id, std::uint32_t room_id, std::uint32_t after_id,
                                      std::uint32_t limit) override {
    return inner_->room_members(user_id, room_id, after_id, limit);
  }
  bool is_room_member(std::uint32_t user_id, std::uint32_t room_id) override {
    return inner_->is_room_member(user_id, room_id);
  }
  store::RoomSendResult send_room_message(std::uint32_t from, std::uint32_t room_id, std::string_view text,
                                          std::string_view client_msg_id,
                                          const std::vector<std::uint32_t>& mentions) override {
    return inner_->send_room_message(from, room_id, text, client_msg_id, mentions);
  }
  store::HistoryPage room_history(std::uint32_t user_id, std::uint32_t room_id, std::uint32_t limit,
                                  std::uint64_t before_id) override {
    return inner_->room_history(user_id, room_id, limit, before_id);
  }
  void mark_read(std::uint32_t user_id, std::uint32_t conversation, std::uint64_t up_to_id) override {
    inner_->mark_read(user_id, conversation, up_to_id);
  }
  std::uint32_t unread_count(std::uint32_t user_id, std::uint32_t conversation) override {
    return inner_->unread_count(user_id, conversation);
  }
  store::BeginUploadResult begin_room_upload(std::uint32_t from, std::uint32_t room_id, std::string_view name,
                                             std::uint64_t size, const store::Sha256& sha256) override {
    return inner_->begin_room_upload(from, room_id, name, size, sha256);
  }
  std::vector<store::FileRecord> list_room_files(std::uint32_t user_id, std::uint32_t room_id) override {
    return inner_->list_room_files(user_id, room_id);
  }
  void block_user(std::uint32_t user_id, std::uint32_t other) override { inner_->block_user(user_id, other); }
  bool unblock_user(std::uint32_t user_id, std::uint32_t other) override { return inner_->unblock_user(user_id, other); }
  std::vector<store::User> blocked_users(std::uint32_t user_id) override { return inner_->blocked_users(user_id); }

  int schema_version() override { return inner_->schema_version(); }
  bool create_user(std::uint32_t id, std::string_view email, std::string_view nick, std::string_view hash) override {
    return inner_->create_user(id, email, nick, hash);
  }
  std::uint64_t user_count() override { return inner_->user_count(); }
  std::optional<store::User> find_user(std::uint32_t id) override { return inner_->find_user(id); }
  std::optional<std::string> password_hash(std::uint32_t id) override { return inner_->password_hash(id); }
  void create_session(std::uint32_t id, const store::TokenHash& hash, const store::SessionOrigin& origin) override {
    inner_->create_session(id, hash, origin);
  }
  std::optional<std::uint32_t> user_for_session(const store::TokenHash& hash,
                                                const store::SessionOrigin& origin) override {
    return inner_->user_for_session(hash, origin);
  }
  bool delete_session(const store::TokenHash& hash) override { return inner_->delete_session(hash); }
  std::vector<store::SessionRecord> sessions(std::uint32_t user_id) override { return inner_->sessions(user_id); }
  std::uint32_t delete_sessions(std::uint32_t user_id, const std::optional<store::TokenHash>& keep) override {
    return inner_->delete_sessions(user_id, keep);
  }
  bool set_password_hash(std::uint32_t user_id, std::string_view hash) override {
    return inner_->set_password_hash(user_id, hash);
  }
  bool set_nick(std::uint32_t user_id, std::string_view nick) override { return inner_->set_nick(user_id, nick); }
  bool set_discoverable(std::uint32_t user_id, bool on) override { return inner_->set_discoverable(user_id, on); }
  std::vector<store::User> find_users_by_nick(std::string_view nick, bool prefix, std::uint32_t limit) override {
    return inner_->find_users_by_nick(nick, prefix, limit);
  }
  store::DeletedUser delete_user(std::uint32_t user_id) override { return inner_->delete_user(user_id); }
  store::AddFriendResult add_friend(std::uint32_t from, std::uint32_t to) override {
    return inner_->add_friend(from, to);
  }
  bool remove_friend(std::uint32_t user_id, std::uint32_t other) override {
    return inner_->remove_friend(user_id, other);
  }
  std::vector<store::Friend> friends(std::uint32_t user_id) override { return inner_->friends(user_id); }
  store::FriendRequests friend_requests(std::uint32_t user_id) override { return inner_->friend_requests(user_id); }
  store::FriendLink friend_link(std::uint32_t user_id, std::uint32_t other) override {
    return inner_->friend_link(user_id, other);
  }
  store::SendResult send_message(std::uint32_t from, std::uint32_t to, std::string_view text,
                                 std::string_view client_msg_id) override {
    return inner_->send_message(from, to, text, client_msg_id);
  }
  store::InboxPage fetch_inbox(std::uint32_t user_id, std::uint64_t after_seq, std::uint32_t limit) override {
    return inner_->fetch_inbox(user_id, after_seq, limit);
  }
  std::uint64_t ack(std::uint32_t user_id, std::uint64_t up_to_seq) override { return inner_->ack(user_id, up_to_seq); }
  store::InboxState inbox_state(std::uint32_t user_id) override { return inner_->inbox_state(user_id); }
  std::uint64_t inbox_backlog() override { return inner_->inbox_backlog(); }
  std::vector<store::UserRecord> list_users(std::uint32_t after_id, std::uint32_t limit) override {
    return inner_->list_users(after_id, limit);
  }
  store::StoreStats stats() override { return inner_->stats(); }
  void export_rows(const store::DumpRowSink& sink) override { inner_->export_rows(sink); }
  store::DumpCounts import_rows(const store::DumpRowSource& source, bool merge) override {
    return inner_->import_rows(source, merge);
  }
  bool set_user_disabled(std::uint32_t id, bool disabled) override { return inner_->set_user_disabled(id, disabled); }
  bool user_disabled(std::uint32_t id) override { return inner_->user_disabled(id); }
  bool reset_password(std::uint32_t id, std::string_view hash) override { return inner_->reset_password(id, hash); }
  void record_account_event(std::uint32_t user_id) override { inner_->record_account_event(user_id); }
  std::vector<store::AccountEvent> account_events(std::uint64_t after_seq) override {
    return inner_->account_events(after_seq);
  }
  store::HistoryPage history(std::uint32_t user_id, std::uint32_t peer, std::uint32_t limit,
                             std::uint64_t before_id) override {
    return inner_->history(user_id, peer, limit, before_id);
  }
  bool are_friends(std::uint32_t a, std::uint32_t b) override { return inner_->are_friends(a, b); }
  store::BeginUploadResult begin_upload(std::uint32_t from, std::uint32_t to, std::string_view name,
                                        std::uint64_t size, const store::Sha256& sha256) override {
    return inner_->begin_upload(from, to, name, size, sha256);
  }
  std::optional<store::Upload> find_upload(std::uint64_t id) override { return inner_->find_upload(id); }
  bool delete_upload(std::uint64_t id) override { return inner_->delete_upload(id); }
  store::PublishResult publish_upload(std::uint64_t id) override { return inner_->publish_upload(id); }
  std::vector<store::FileRecord> list_files(std::uint32_t user_id, std::uint32_t peer) override {
    return inner_->list_files(user_id, peer);
  }
  std::optional<store::FileRecord> find_file(std::uint64_t id) override { return inner_->find_file(id); }
  std::vector<store::Upload> stale_uploads(std::int64_t cutoff_ms) override {
    return inner_->stale_uploads(cutoff_ms);
  }

 private:
  std::unique_ptr<store::SqliteStore> inner_;
};

constexpr std::uint32_t kFirstId = 100000;

class StoreExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/occhat-store-executor-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path db_path() const { return dir_ / "occhat.db"; }
  std::string location() const { return "sqlite:" + db_path().string(); }

  // A SqliteStoreExecutor over a CountingStore (kept in counter_).
  std::unique_ptr<SqliteStoreExecutor> counted_executor() {
    auto counting = std::make_unique<CountingStore>(store::open_sqlite_store(db_path()));
    counter_ = counting.get();
    return std::make_unique<SqliteStoreExecutor>(std::move(counting));
  }

  // Queues a job that holds the store thread until release() runs: jobs run() meanwhile queue
  // up behind it and form one batch.
  void hold_store_thread(StoreExecutor& executor, asio::io_context& io) {
    auto held = gate_.get_future().share();
    asio::co_spawn(
        io,
        [&executor, held]() -> asio::awaitable<void> {
          auto hold = [held](Store&) { held.wait(); };
          co_await executor.run(std::move(hold));
        },
        asio::detached);
  }
  // Posted after every co_spawn: runs once each spawned coroutine has submitted its job.
  void release_store_thread_later(asio::io_context& io) {
    asio::post(io, [this] { gate_.set_value(); });
  }

  fs::path dir_;
  CountingStore* counter_ = nullptr;
  std::promise<void> gate_;
};

TEST_F(StoreExecutorTest, SqliteExecutorBatchesAndAnswersOnlyCommittedWork) {
  constexpr std::uint32_t kJobs = 300;
  auto executor = counted_executor();
  auto reader = store::open_store(location());  // a second connection sees only committed rows
  asio::io_context io;
  hold_store_thread(*executor, io);
  std::uint32_t answered = 0;
  std::uint32_t committed_when_answered = 0;
  for (std::uint32_t i = 0; i < kJobs; ++i) {
    asio::co_spawn(
        io,
        [&, id = kFirstId + i]() -> asio::awaitable<void> {
          auto insert = [id](Store& store) { return store.create_user(id, "u@x", "u" + std::to_string(id), "h"); };
          const bool created = co_await executor->run(std::move(insert));
          ++answered;
          if (created && reader->find_user(id)) ++committed_when_answered;
        },
        asio::detached);
  }
  release_store_thread_later(io);
  io.run();
  EXPECT_EQ(answered, kJobs);
  EXPECT_EQ(committed_when_answered, kJobs);
  // The held job's batch, then at most one batch of everything queued behind it.
  EXPECT_LE(counter_->commits.load(), 2);
  executor->shutdown();
  EXPECT_EQ(store::open_store(location())->user_count(), kJobs);
}

// A job's exception reaches only its own caller; the batch commits for the others. Calls are
// atomic, jobs are not: the call that completed before the job threw stays (as with a pool).
TEST_F(StoreExecutorTest, AFailingJobDoesNotSpoilItsBatch) {
  auto executor = counted_executor();
  asio::io_context io;
  hold_store_thread(*executor, io);
  std::string failure;
  bool second_created = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto half_done = [](Store& store) -> bool {
          store.create_user(kFirstId, "a@x", "a", "h");
          throw std::runtime_error("the job gave up");
        };
        try {
          co_await executor->run(std::move(half_done));
        } catch (const std::runtime_error& e) {
          failure = e.what();
        }
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto insert = [](Store& store) { return store.create_user(kFirstId + 1, "b@x", "b", "h"); };
        second_created = co_await executor->run(std::move(insert));
      },
      asio::detached);
  release_store_thread_later(io);
  io.run();
  EXPECT_EQ(failure, "the job gave up");
  EXPECT_TRUE(second_created);
  EXPECT_LE(counter_->commits.load(), 2);
  executor->shutdown();
  const auto store = store::open_store(location());
  EXPECT_TRUE(store->find_user(kFirstId));
  EXPECT_TRUE(store->find_user(kFirstId + 1));
}

TEST_F(StoreExecutorTest, AFailedCommitReachesEveryJobOfItsBatch) {
  auto executor = counted_executor();
  counter_->fail_commits = true;
  asio::io_context io;
  int failed = 0;
  for (std::uint32_t i = 0; i < 20; ++i) {
    asio::co_spawn(
        io,
        [&, id = kFirstId + i]() -> asio::awaitable<void> {
          auto insert = [id](Store& store) { return store.create_user(id, "u@x", "u", "h"); };
          try {
            co_await executor->run(std::move(insert));
          } catch (const StoreError& e) {
            if (e.code() == ErrorCode::internal && std::string(e.what()) == "commit failed (test)") ++failed;
          }
        },
        asio::detached);
  }
  io.run();
  EXPECT_EQ(failed, 20);
}

TEST_F(StoreExecutorTest, VoidJobsAndOtherExceptionsPassThrough) {
  auto executor = counted_executor();
  asio::io_context io;
  bool done = false;
  ErrorCode code = ErrorCode::ok;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto nothing = [](Store& store) { store.create_user(kFirstId, "a@x", "a", "h"); };
        co_await executor->run(std::move(nothing));
        done = true;
        auto session_for_nobody = [](Store& store) { store.create_session(kFirstId + 1, store::TokenHash{}); };
        try {
          co_await executor->run(std::move(session_for_nobody));
        } catch (const StoreError& e) {
          code = e.code();
        }
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(done);
  EXPECT_EQ(code, ErrorCode::not_found);
}

TEST_F(StoreExecutorTest, PoolOfSqliteConnectionsKeepsEveryWrite) {
  constexpr std::uint32_t alice = kFirstId, bob = kFirstId + 1;
  {
    auto setup = store::open_store(location());
    ASSERT_TRUE(setup->create_user(alice, "a@x", "alice", "h"));
    ASSERT_TRUE(setup->create_user(bob, "b@x", "bob", "h"));
    setup->add_friend(alice, bob);
    setup->add_friend(bob, alice);
  }
  std::vector<std::unique_ptr<Store>> connections;
  for (int i = 0; i < 4; ++i) {
    connections.push_back(store::open_store(location(), {.durability = store::Durability::process}));
  }
  PooledStoreExecutor executor(std::move(connections));
  const auto before = store::open_store(location())->inbox_state(bob).last_seq;

  // Every message appends to bob's inbox (last_seq + 1): concurrent writers on separate
  // connections must neither lose an item nor hand out a seq twice, nor fail with "busy".
  constexpr std::uint32_t kMessages = 200;
  asio::io_context io;
  std::uint32_t sent = 0;
  std::string failure;
  for (std::uint32_t i = 0; i < kMessages; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          auto send = [i](Store& store) {
            const auto result = store.send_message(alice, bob, "m" + std::to_string(i), "c" + std::to_string(i));
            // A second call in the same job: its own transaction on the same connection.
            return result.item && store.find_user(bob) ? result.item->seq : 0;
          };
          try {
            if (co_await executor.run(std::move(send)) > 0) ++sent;
          } catch (const std::exception& e) {
            failure = e.what();
          }
        },
        asio::detached);
  }
  io.run();
  executor.shutdown();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(sent, kMessages);
  const auto store = store::open_store(location());
  EXPECT_EQ(store->inbox_state(bob).last_seq, before + kMessages);
  const auto page = store->fetch_inbox(bob, before, 1000);
  ASSERT_EQ(page.items.size(), kMessages);
  for (std::uint32_t i = 0; i < kMessages; ++i) EXPECT_EQ(page.items[i].seq, before + 1 + i);
  EXPECT_EQ(store->history(alice, bob, 1000, 0).messages.size(), kMessages);
}

TEST_F(StoreExecutorTest, TheLocationPicksTheExecutor) {
  const auto executor = make_store_executor(location(), {});
  EXPECT_NE(dynamic_cast<SqliteStoreExecutor*>(executor.get()), nullptr);
  EXPECT_THROW(make_store_executor("postgresql://occhat@localhost/occhat", {}), StoreError);
}

// The ordering key: jobs of one key (one connection's sends) run one at a time in submission
// order, even on a pool where they land on different threads; other keys are not held up.
TEST_F(StoreExecutorTest, PoolRunsOneKeysJobsInOrderAndOtherKeysAlongside) {
  std::vector<std::unique_ptr<Store>> connections;
  for (int i = 0; i < 4; ++i) {
    connections.push_back(store::open_store(location(), {.durability = store::Durability::process}));
  }
  PooledStoreExecutor executor(std::move(connections));
  asio::io_context io;
  std::mutex mutex;
  std::vector<int> order;
  std::atomic<int> running_of_key{0};
  int overlapped = 0;
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          auto job = [&, i](Store& store) {
            if (++running_of_key > 1) ++overlapped;
            // Uneven job lengths: without the key, later jobs would overtake earlier ones.
            if (i % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
            store.find_user(kFirstId);
            {
              const std::lock_guard lock(mutex);
              order.push_back(i);
            }
            --running_of_key;
          };
          co_await executor.run_in_order(7, std::move(job));
        },
        asio::detached);
  }
  // Two other keys meeting: each waits for the other to start, which only works if they run
  // at the same time, beside key 7's queue.
  std::promise<void> a_started, b_started;
  auto a_seen = b_started.get_future();
  auto b_seen = a_started.get_future();
  bool met = true;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto job = [&](Store&) {
          a_started.set_value();
          if (a_seen.wait_for(std::chrono::seconds(5)) != std::future_status::ready) met = false;
        };
        co_await executor.run_in_order(8, std::move(job));
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto job = [&](Store&) {
          b_started.set_value();
          if (b_seen.wait_for(std::chrono::seconds(5)) != std::future_status::ready) met = false;
        };
        co_await executor.run_in_order(9, std::move(job));
      },
      asio::detached);
  io.run();
  executor.shutdown();
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kJobs));
  for (int i = 0; i < kJobs; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(overlapped, 0) << "two jobs of one key ran at once";
  EXPECT_TRUE(met) << "jobs of different keys did not run side by side";
}

}  // namespace
}  // namespace occhat::server
