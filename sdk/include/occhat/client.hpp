#pragma once
// occhat::Client — the C++ SDK every front end (CLI, Python, benchmarks) is built on.
//
// One Client holds one long-lived connection to an occhat-server. It owns an I/O thread
// (started by connect(), joined by disconnect() and the destructor); every public method is
// thread-safe and may be called from any thread, and any number of threads may wait in calls at
// once (answers are matched to calls by request id). Calls block until the server answers or
// Options::request_timeout passes; a call that timed out leaves the connection usable.
//
// Destruction: fails every call still waiting in another thread with unavailable, wakes every
// next_event(), waits for those calls to return, then joins the I/O thread. Starting a new call
// on a Client that is being destroyed is, as for any object, the caller's bug.
//
// Event handler: runs on the I/O thread. It must not make blocking calls (they throw conflict:
// only that thread could deliver their answer) and must not destroy the Client; it may call
// disconnect(), current_user(), connected().
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

  // Connects to "HOST:PORT" ("[v6addr]:PORT" for IPv6 literals) and performs the version
  // handshake, both within Options::connect_timeout.
  // Throws invalid_argument (not HOST:PORT), unavailable (unresolvable, refused, unreachable,
  // or lost during the handshake), timeout, unsupported_version, conflict (already connected:
  // disconnect() first; after a lost connection connect() may be called directly).
  void connect(const std::string& server);
  // Closes the connection (idempotent). Pending calls fail with unavailable; no "disconnected"
  // event is produced (that event reports losses the application did not ask for).
  void disconnect() noexcept;
  // True between a successful connect() and disconnect() or the loss of the connection.
  bool connected() const noexcept;

  // Every call below throws unavailable when not connected or when the connection is lost
  // while it waits, and timeout when no answer comes within Options::request_timeout.

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

  // The logged-in user, if any (no server round trip). Cleared by logout(), disconnect() and the
  // loss of the connection (a session belongs to its connection).
  std::optional<UserInfo> current_user() const;

  // Pushes: either poll with next_event() or install a handler (called on the I/O thread; keep it
  // short). With a handler installed, next_event() receives nothing.
  // When the connection is lost (not on disconnect()) an Event{type="disconnected"} is pushed.
  // next_event() returns nullopt after `timeout` or when the Client is being destroyed. Events
  // survive disconnect() and a later connect() (so the "disconnected" event is never missed).
  std::optional<Event> next_event(std::chrono::milliseconds timeout);
  // Installs (or with nullptr removes) the handler. Events queued before it was installed are
  // passed to it at once, on the calling thread. An exception thrown by the handler is ignored.
  void set_event_handler(std::function<void(const Event&)> handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace occhat
