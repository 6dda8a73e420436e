#pragma once
// State shared by every session of one server. Lives on (and is touched only from) the network
// thread, except the executors, which hand work to their own threads.

#include <asio/thread_pool.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "login_throttle.hpp"
#include "router.hpp"
#include "store_executor.hpp"

namespace occhat::server {

class Session;

struct ServerContext {
  ServerContext(StoreExecutor& store_executor, asio::thread_pool& crypto_pool, LoginThrottle login_throttle,
                std::string dummy_password_hash)
      : store(store_executor),
        crypto(crypto_pool),
        throttle(std::move(login_throttle)),
        dummy_hash(std::move(dummy_password_hash)) {}

  StoreExecutor& store;
  // Password hashing and verification run here, never on the network thread.
  asio::thread_pool& crypto;
  LoginThrottle throttle;
  Router router;
  // Every open connection, so shutdown can close them all.
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> connections;
  // Verified against when the id is unknown, so an unknown id costs as long as a wrong password.
  std::string dummy_hash;
  bool stopping = false;
};

}  // namespace occhat::server
