#pragma once
// State shared by every session of one server. Lives on (and is touched only from) the network
// thread, except the executors, which hand work to their own threads.

#include <asio/any_io_executor.hpp>
#include <asio/thread_pool.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "cluster_limits.hpp"
#include "file_storage.hpp"
#include "login_throttle.hpp"
#include "metrics.hpp"
#include "push_bus.hpp"
#include "rate_limiter.hpp"
#include "store_executor.hpp"
#include "user_ids.hpp"

namespace occhat::server {

class Connection;

// Limits on what clients may hold or do (occhat-server flags; defaults in ServerOptions).
struct ConnectionLimits {
  std::size_t max_connections = 10000;
  std::size_t max_unauthenticated = 1000;
  std::size_t max_unauthenticated_per_address = 64;
  std::chrono::seconds login_timeout{60};
  std::size_t max_queued_bytes = 256 * 1024 * 1024;
  std::chrono::seconds write_stall_timeout{30};
};

struct ServerContext {
  ServerContext(asio::any_io_executor network_executor, StoreExecutor& store_executor,
                asio::thread_pool& crypto_pool, LoginThrottle login_throttle, std::string dummy_password_hash,
                std::chrono::seconds idle_limit)
      : network(std::move(network_executor)),
        store(store_executor),
        crypto(crypto_pool),
        throttle(std::move(login_throttle)),
        dummy_hash(std::move(dummy_password_hash)),
        idle_timeout(idle_limit) {}

  // The network thread: work that belongs to no session (presence fan-out) is spawned here.
  asio::any_io_executor network;
  StoreExecutor& store;
  // Password hashing and verification run here, never on the network thread.
  asio::thread_pool& crypto;
  LoginThrottle throttle;
  // Every push to a connection goes through here (set up by the server after construction).
  std::unique_ptr<PushBus> bus;
  // Every open connection, so shutdown can close them all.
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
  // Verified against when the id is unknown, so an unknown id costs as long as a wrong password.
  std::string dummy_hash;
  // A connection from which no frame arrived for this long is closed (dead peers go offline).
  std::chrono::seconds idle_timeout;
  ConnectionLimits limits;
  // Connections that are open but not logged in (counted against limits.max_unauthenticated),
  // in all and by client address.
  std::size_t unauthenticated = 0;
  std::unordered_map<std::string, std::size_t> unauthenticated_by_address;
  // Bytes queued for clients on every connection together (limits.max_queued_bytes).
  std::size_t queued_bytes = 0;
  SendRateLimiter send_limiter{0, 1};
  // The login throttle and send_limiter shared with the other nodes of a cluster: with --bus the
  // server connects it to the bus subject occhat.limits (server.cpp, set_up_bus); without, it
  // does nothing.
  ClusterLimits cluster_limits{network, throttle, send_limiter};
  // Registrations (account_handlers.cpp): token buckets per client address and across the
  // server, checked before any hashing; registrations being hashed right now (bounded by
  // kMaxPendingRegistrations there); and the warnings as the id space fills.
  bool registration_open = true;  // --registration
  AddressRateLimiter register_per_address{0, 1};
  GlobalRateLimiter register_global{0, 1};
  std::size_t pending_registrations = 0;
  IdSpaceWatch id_space_watch;
  // Registration hashing runs here, not on `crypto`, so a flood of registrations cannot delay
  // the logins of existing accounts (set up by the server; empty: `crypto` is used).
  asio::any_io_executor registration_crypto;
  // New friend requests per user (ServerOptions::friend_request_rate, converted to per second).
  SendRateLimiter friend_request_limiter{0, 1};
  // User lookups by id per user (ServerOptions::find_rate, converted to per second).
  SendRateLimiter find_limiter{0, 1};
  // --bus: how many nodes of the cluster are alive (for the metrics; empty without --bus).
  std::function<std::uint64_t()> cluster_nodes;
  // Counters for --metrics-listen (atomics: a scrape reads them from the HTTP thread).
  ServerMetrics metrics;
  // Whether requests time their stages into `metrics` (on with --metrics-listen).
  bool time_stages = false;
  // While set (not the epoch): frames queued now are the push of a timed send read then
  // (TimedPush, send_stages.hpp). Network thread only.
  std::chrono::steady_clock::time_point timed_push_read_at{};
  bool stopping = false;
  // Rooms (--max-room-members, --max-rooms-per-user).
  std::uint32_t max_room_members = 1000;
  std::uint32_t max_rooms_per_user = 100;

  // Files (set up by the server after construction). Chunk writes, reads, hashing and fsync run
  // on file_io, never here or on the store thread.
  FileStorage* files = nullptr;
  asio::any_io_executor file_io;
  std::uint64_t max_file_size = 0;
  // Uploads a request is writing or finishing right now: a second connection of the same sender
  // touching the same upload meanwhile gets CONFLICT instead of racing on the part file.
  std::unordered_set<std::uint64_t> busy_uploads;

  // Every unfinished upload with what it still needs on disk (size - received): begin_upload
  // reserves the rest of the file here, so concurrent begins cannot promise the same free
  // bytes twice. Rebuilt at start-up from the store and the part files' sizes; entries go when
  // an upload is published, discarded, cancelled or expires.
  struct UploadReservation {
    std::uint32_t sender = 0;
    std::uint64_t size = 0;
    std::uint64_t received = 0;
  };
  std::unordered_map<std::uint64_t, UploadReservation> reservations;
  // Uploads are refused while fewer than this many bytes would stay free after them, so the
  // database (logins, sessions, messages) always has room (--min-free-bytes).
  std::uint64_t min_free_bytes = 0;
  // Per sender: unfinished uploads at once, and their announced bytes together.
  std::size_t max_unfinished_uploads = 16;
  std::uint64_t max_unfinished_upload_bytes = 0;

  // Bytes the unfinished uploads other than `except` still have to write.
  std::uint64_t reserved_bytes(std::uint64_t except = 0) const {
    std::uint64_t total = 0;
    for (const auto& [id, r] : reservations) {
      if (id != except && r.size > r.received) total += r.size - r.received;
    }
    return total;
  }
};

}  // namespace occhat::server
