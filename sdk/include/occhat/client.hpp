#pragma once
// occhat::Client — the C++ SDK every front end (CLI, Python, benchmarks) is built on.
//
// One Client holds one long-lived connection to an occhat-server. It owns an I/O thread;
// every public method is thread-safe and may be called from any thread. Calls block until the
// server answers or `timeout` (Options::request_timeout) passes.
//
// Errors: every failing call throws occhat::Error (see error.hpp), whose code() is stable:
//   unavailable        cannot connect, or the connection was lost
//   timeout            no answer in time
//   auth_failed        unknown id or wrong password
//   unauthenticated    the call needs login()/resume() first, or the token was revoked
//   rate_limited       Error::retry_after() says when to try again
//   ...                see occhat/proto/error_code.hpp
// No Asio or protobuf type appears in this header.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "occhat/error.hpp"

namespace occhat {

using UserId = std::uint32_t;

struct UserInfo {
  UserId id = 0;
  std::string nick;
  std::string email;  // empty unless this is the caller's own record
};

struct Session {
  UserInfo user;
  std::string token;  // secret: lets resume() log in again without the password
};

// A server push. Later issues add fields (messages, presence, files); `type` names which.
struct Event {
  std::string type;  // e.g. "disconnected"
};

class Client {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{15000};
    std::string client_name = "occhat-sdk/0.1.0";
  };

  Client();
  explicit Client(Options options);
  ~Client();  // closes the connection and joins the I/O thread
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects to "HOST:PORT" and performs the version handshake.
  // Throws unavailable (unreachable, refused), unsupported_version, timeout.
  void connect(const std::string& server);
  // Closes the connection (idempotent). Pending calls fail with unavailable.
  void disconnect() noexcept;
  bool connected() const noexcept;

  // Creates an account; returns its new 6-digit id. Does not log in.
  // Throws invalid_argument (bad email, nick or password), rate_limited.
  UserId register_user(const std::string& email, const std::string& nick, const std::string& password);

  // Logs this connection in. announce_presence=true makes the user count as online while the
  // connection lasts (long-lived clients); one-shot tools pass false.
  // Throws auth_failed (same error for unknown id and wrong password), rate_limited.
  Session login(UserId id, const std::string& password, bool announce_presence = false);

  // Logs this connection in with a token from an earlier login. Throws unauthenticated when the
  // token is unknown or revoked.
  Session resume(const std::string& token, bool announce_presence = false);

  // Revokes this connection's session token on the server. Throws unauthenticated if not logged in.
  void logout();

  // Looks a user up by id. Throws not_found, unauthenticated.
  UserInfo find_user(UserId id);

  // The logged-in user, if any (no server round trip).
  std::optional<UserInfo> current_user() const;

  // Pushes: either poll with next_event() or install a handler (called on the I/O thread; keep it
  // short). With a handler installed, next_event() receives nothing.
  std::optional<Event> next_event(std::chrono::milliseconds timeout);
  void set_event_handler(std::function<void(const Event&)> handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace occhat
