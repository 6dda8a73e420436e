// room: one room of N members (default 1,000), every member online and subscribed, one of them
// sending. Three stages on the same seeded room, each with its own server run:
//   fanout      open loop at --rate msg/s: for each message, the time from its send to its
//               receipt by the LAST of the N members (the sender's own connection included:
//               a room message reaches the sender's devices too), p50/p99;
//   deliveries  closed loop with --window sends in flight: member deliveries per second (the
//               figure to hold against the 1:1 relay's msg/s), and the store's growth per room
//               message with every member reading and acknowledging;
//   offline     only the sender connected: the store's growth per room message while every
//               other member is away (one inbox row per member waits for them).

#include <sqlite3.h>

#include <asio/ip/address.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_error.hpp"
#include "io_pool.hpp"
#include "json_out.hpp"
#include "occhat/proto/limits.hpp"
#include "occhat/store/store.hpp"
#include "relay_client.hpp"
#include "seed.hpp"
#include "stats.hpp"
#include "subcommands.hpp"
#include "work_dir.hpp"

namespace occhat::bench {
namespace {

using namespace std::chrono_literals;

constexpr auto kWarmup = 1s;

std::string database_of(const std::string& dir) { return dir + "/data/occhat.db"; }

// Bytes of the database's pages in use (page_count - freelist_count): what the rows take, not
// counting pages SQLite keeps for reuse. Read with the server stopped.
std::uint64_t used_bytes(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw BenchError("cannot open " + db_path + ": " + why);
  }
  auto pragma = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::int64_t value = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return value;
  };
  const auto bytes = (pragma("PRAGMA page_count") - pragma("PRAGMA freelist_count")) * pragma("PRAGMA page_size");
  sqlite3_close(db);
  return static_cast<std::uint64_t>(bytes);
}

// Marks every inbox item of `users` handled, so a stage starts with empty inboxes.
void acknowledge_all(store::Store& store, const std::vector<SeededUser>& users) {
  for (const auto& user : users) {
    const auto state = store.inbox_state(user.id);
    if (state.last_seq > state.acked_seq) store.ack(user.id, state.last_seq);
  }
}

// The room: users[0] creates it and invites everyone else (they are all its friends), who join.
std::uint32_t build_room(const std::string& dir, const std::vector<SeededUser>& users) {
  const auto started = std::chrono::steady_clock::now();
  auto store = store::open_store("sqlite:" + database_of(dir), store::StoreOptions{store::Durability::process});
  const auto members = static_cast<std::uint32_t>(users.size());
  const std::uint32_t room = store->create_room(users[0].id, "bench room", 1).room.id;
  store::RoomChange invite;
  invite.kind = store::RoomChange::Kind::invite;
  invite.room_id = room;
  invite.actor = users[0].id;
  invite.max_members = members;
  for (std::size_t i = 1; i < users.size(); ++i) {
    invite.users.push_back(users[i].id);
    if (invite.users.size() == 100 || i + 1 == users.size()) {
      store->change_room(invite);
      invite.users.clear();
    }
  }
  for (std::size_t i = 1; i < users.size(); ++i) {
    store::RoomChange join;
    join.kind = store::RoomChange::Kind::join;
    join.room_id = room;
    join.actor = users[i].id;
    join.max_members = members;
    store->change_room(join);
  }
  acknowledge_all(*store, users);
  std::fprintf(stderr, "room: seeded a room of %u members in %.1f s\n", members,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return room;
}

struct Stage {
  std::string name;
  bool members_online = true;
  std::size_t window = 1;
  double rate = 0;                // > 0: open loop
  std::uint64_t max_messages = 0;  // > 0: stop after this many (offline stage)
};

struct StageResult {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t received_in_window = 0;
  std::vector<std::int64_t> fanout_ns;  // per message: last receipt - send
  std::uint64_t bytes_before = 0;
  std::uint64_t bytes_after = 0;
};

StageResult run_stage(const CommonOptions& common, const RoomOptions& options, const std::string& dir,
                      const std::vector<SeededUser>& users, std::uint32_t room, const Stage& stage) {
  StageResult result;
  {
    auto store = store::open_store("sqlite:" + database_of(dir));
    acknowledge_all(*store, users);
  }
  result.bytes_before = used_bytes(database_of(dir));
  harness::ServerProcess server(server_config(common, dir));
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server.port());

  RelayShared shared;
  IoPool pool(common.threads);
  StopPoolOnExit stop_pool(pool);
  std::vector<std::unique_ptr<RelayClient>> clients;
  const std::size_t connected = stage.members_online ? users.size() : 1;
  for (std::size_t i = 0; i < connected; ++i) {
    RelayClientConfig config;
    config.self = users[i].id;
    config.room = room;
    config.token = users[i].token;
    config.text_size = options.size;
    config.window = stage.window;
    config.max_messages = stage.max_messages;
    config.subscribe = stage.members_online;
    if (stage.rate > 0) config.interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / stage.rate));
    clients.push_back(std::make_unique<RelayClient>(pool.context(i), endpoint, config, shared));
  }
  auto failure = [&]() -> std::optional<std::string> {
    if (auto f = shared.first_failure()) return f;
    if (!server.running()) return "occhat-server exited during the run; see " + dir + "/server.log";
    return std::nullopt;
  };
  for (auto& client : clients) client->start();
  wait_until([&] { return shared.ready.load() == connected; }, 120s,
             "logging in " + std::to_string(connected) + " members", failure);

  const auto start = steady_now_ns();
  shared.window_start_ns = start + std::chrono::nanoseconds(kWarmup).count();
  shared.window_end_ns = shared.window_start_ns.load() + static_cast<std::int64_t>(options.seconds * 1e9);
  shared.phase = RelayShared::sending;
  clients[0]->begin_sending();  // the only sender: members 1.. only read
  if (stage.max_messages > 0) {
    wait_until([&] { return shared.sent.load() >= stage.max_messages; }, 120s, "sending to the room", failure);
  } else {
    const auto run_time = std::chrono::milliseconds(static_cast<std::int64_t>(options.seconds * 1000)) + kWarmup;
    wait_until([&] { return steady_now_ns() >= shared.window_end_ns.load(); }, run_time + 5s,
               "the measurement window", failure);
  }
  shared.phase = RelayShared::draining;
  // Every member but the sender: its own messages come back as `sent` carbons, not receipts.
  const std::uint64_t receivers = stage.members_online ? users.size() - 1 : 0;
  wait_until([&] { return shared.requested.load() == shared.sent.load() &&
                          shared.received.load() >= shared.sent.load() * receivers; },
             60s, "draining", failure);
  shared.phase = RelayShared::done;
  for (auto& client : clients) client->finish();
  std::this_thread::sleep_for(20ms);
  pool.stop();
  server.stop();

  result.sent = shared.sent.load();
  result.received = shared.received.load();
  result.received_in_window = shared.received_in_window.load();
  // Per message (named by its send time): receipts inside the window and the last of them.
  std::map<std::int64_t, std::pair<std::size_t, std::int64_t>> by_message;
  for (auto& client : clients) {
    const auto& latencies = client->latencies_ns();
    const auto& sent_times = client->sent_times_ns();
    for (std::size_t k = 0; k < latencies.size(); ++k) {
      auto& [count, last] = by_message[sent_times[k]];
      ++count;
      last = std::max(last, latencies[k]);
    }
  }
  for (const auto& [sent_ns, receipt] : by_message) {
    if (receipt.first == receivers) result.fanout_ns.push_back(receipt.second);
  }
  result.bytes_after = used_bytes(database_of(dir));
  std::fprintf(stderr, "room %s: sent %llu, received %llu (server %s)\n", stage.name.c_str(),
               static_cast<unsigned long long>(result.sent), static_cast<unsigned long long>(result.received),
               server.ended().c_str());
  if (stage.members_online && result.received != result.sent * receivers) {
    throw BenchError("room " + stage.name + ": " + std::to_string(result.sent) + " messages to " +
                     std::to_string(receivers) + " members, but " + std::to_string(result.received) + " receipts");
  }
  return result;
}

double bytes_per_message(const StageResult& r) {
  if (r.sent == 0) return 0;
  return static_cast<double>(static_cast<std::int64_t>(r.bytes_after) - static_cast<std::int64_t>(r.bytes_before)) /
         static_cast<double>(r.sent);
}

}  // namespace

void run_room(const CommonOptions& common, RoomOptions options) {
  resolve_server_bin(common);  // fail before seeding anything
  if (!common.store.empty()) throw BenchError("room: --store is not supported (its size figures read the SQLite file)");
  if (common.quick) {
    options.seconds = std::min(options.seconds, 2.0);
    options.offline_messages = std::min<std::uint64_t>(options.offline_messages, 50);
  }
  if (options.members < 2) throw BenchError("--members must be at least 2");
  if (options.size < 24 || options.size > proto::kMaxTextBytes) {
    throw BenchError("--size must be 24.." + std::to_string(proto::kMaxTextBytes) + " bytes");
  }
  if (options.rate <= 0 || options.window == 0) throw BenchError("--rate must be > 0 and --window at least 1");
  WorkDir work(common.work_dir, common.keep);
  const std::string dir = work.fresh_subdir("room-" + std::to_string(options.members));
  std::vector<std::pair<std::size_t, std::size_t>> friendships;
  for (std::size_t i = 1; i < options.members; ++i) friendships.emplace_back(0, i);
  const auto users = seed_users(dir + "/data", options.members, friendships);
  const std::uint32_t room = build_room(dir, users);
  const nlohmann::json base = {{"members", options.members}, {"seconds", options.seconds}, {"size", options.size}};

  auto fanout = run_stage(common, options, dir, users, room, Stage{"fanout", true, 1, options.rate, 0});
  const auto p = percentiles(fanout.fanout_ns);
  auto params = base;
  params["rate"] = options.rate;
  emit_result("room", "fanout", params,
              {{"p50_us", round_to(p.p50_us, 1)}, {"p99_us", round_to(p.p99_us, 1)}, {"max_us", round_to(p.max_us, 1)},
               {"messages", p.count}});

  auto deliveries = run_stage(common, options, dir, users, room, Stage{"deliveries", true, options.window, 0, 0});
  params = base;
  params["window"] = options.window;
  const double per_s = static_cast<double>(deliveries.received_in_window) / options.seconds;
  emit_result("room", "deliveries", params,
              {{"deliveries_per_s", round_to(per_s, 1)},
               {"msgs_per_s", round_to(per_s / static_cast<double>(options.members), 1)},
               {"store_bytes_per_msg", round_to(bytes_per_message(deliveries), 1)},
               {"sent", deliveries.sent},
               {"received", deliveries.received}});

  auto offline = run_stage(common, options, dir, users, room,
                           Stage{"offline", false, options.window, 0, options.offline_messages});
  params = base;
  params["messages"] = options.offline_messages;
  emit_result("room", "offline", params, {{"store_bytes_per_msg", round_to(bytes_per_message(offline), 1)}});
}

}  // namespace occhat::bench
