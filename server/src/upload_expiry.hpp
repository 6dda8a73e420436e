#pragma once
// Incomplete uploads expire after a period of inactivity: their row and part file are removed.
// Activity is the later of the upload's last begin/resume (in the store) and its part file's
// last write (a chunk costs no database write), so an upload in progress never expires.

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>

namespace occhat::server {

struct ServerContext;

// At start-up, before any request: rebuilds server.reservations from the store's unfinished
// uploads and their part files' sizes, and completes uploads whose bytes were published but
// whose row was not committed (a crash between the two): a matching published file gets its
// row (and the recipient's file notice) now. Never throws; failures are logged.
asio::awaitable<void> recover_uploads(ServerContext& server);

// One sweep now (at start-up), then one every `interval` until the timer is cancelled or the
// server stops. Never throws; failures are logged and the next sweep tries again.
asio::awaitable<void> expire_uploads_periodically(ServerContext& server, asio::steady_timer& timer,
                                                  std::chrono::hours expiry, std::chrono::seconds interval);

}  // namespace occhat::server
