// occhat::Client: the public API over one Connection, one io_context and one I/O thread.
//
// Locking: lifecycle_mutex_ serializes connect/disconnect (the only code that starts or joins
// the I/O thread); state_mutex_ guards the small shared state and is never held while waiting
// for the network. Blocking calls copy the connection pointer under state_mutex_ and then wait
// on their own future, so any number of threads can wait at once.

#include "occhat/client.hpp"

#include <asio/io_context.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "address.hpp"
#include "client_impl.hpp"
#include "connection.hpp"
#include "convert.hpp"
#include "event_queue.hpp"
#include "occhat/proto/frame.hpp"
#include "occhat/proto/requests.hpp"
#include "random_id.hpp"

namespace occhat {
namespace {

// The Client::Impl whose I/O thread this is, if any: blocking on the I/O thread would wait for
// an answer only that thread can deliver.
thread_local const void* tls_io_owner = nullptr;

using detail::body_name;
using detail::from_wire;

// Limits the server enforces too; checked here only where the SDK can name the parameter.
using proto::kMaxHistoryLimit;
constexpr std::uint32_t kMaxFetchLimit = proto::kMaxInboxFetchLimit;

void check_history_limit(std::uint32_t limit) {
  if (limit < 1 || limit > kMaxHistoryLimit) {
    throw Error(ErrorCode::invalid_argument,
                "history limit must be 1.." + std::to_string(kMaxHistoryLimit) + ", not " + std::to_string(limit));
  }
}

// The SDK's default client message id: see Client::send_message.
std::string client_msg_id_or_random(const std::string& client_msg_id) {
  return client_msg_id.empty() ? detail::random_client_msg_id() : client_msg_id;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace


Client::Impl::ActiveCall::ActiveCall(Impl& impl) : impl_(impl) {
  std::lock_guard lock(impl_.state_mutex_);
  if (impl_.shutting_down_) throw Error(ErrorCode::unavailable, "the client is being destroyed");
  ++impl_.active_calls_;
}

Client::Impl::ActiveCall::~ActiveCall() {
  // Notify under the lock: the destructor may free the condition variable once it sees zero.
  std::lock_guard lock(impl_.state_mutex_);
  if (--impl_.active_calls_ == 0) impl_.calls_done_.notify_all();
}

Client::Impl::~Impl() {
  std::shared_ptr<detail::Connection> conn;
  {
    std::lock_guard lock(state_mutex_);
    shutting_down_ = true;
    conn = conn_;
  }
  events_.close();
  // Wakes every blocked call (and a handshake in progress) at once.
  if (conn) conn->close(Error(ErrorCode::unavailable, "the client is being destroyed"), false);
  if (tls_io_owner != this) {
    std::lock_guard life(lifecycle_mutex_);
    teardown();
  }
  std::unique_lock lock(state_mutex_);
  calls_done_.wait(lock, [this] { return active_calls_ == 0; });
}

namespace {

// Failures after which connect() tries the next entry of a list: the node is down, hung,
// unreachable, not an occhat-server of this version. Anything else (a bad CA file) would fail
// the same way on every node.
bool worth_next_address(const Error& e) {
  return e.code() == ErrorCode::unavailable || e.code() == ErrorCode::timeout ||
         e.code() == ErrorCode::protocol_error || e.code() == ErrorCode::unsupported_version;
}

// What connect() throws when every entry of a list failed: each address with its reason, in
// the order tried. The code is the failures' common one (all timed out: timeout), else
// unavailable.
Error every_address_failed(const std::string& list, const std::vector<std::pair<std::string, Error>>& failures) {
  std::string message = "cannot reach server " + list + ": ";
  ErrorCode code = failures.front().second.code();
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const auto& [address, error] = failures[i];
    if (error.code() != code) code = ErrorCode::unavailable;
    // The SDK's messages name the address already; "cannot reach server A: why" becomes "A: why".
    std::string why = error.what();
    const std::string prefix = "cannot reach server " + address;
    if (why.starts_with(prefix + ": ")) {
      why = address + why.substr(prefix.size());
    } else if (why == prefix) {
      why = address + ": unreachable";
    }
    message += (i == 0 ? "" : "; ") + why;
  }
  return Error(code, message);
}

}  // namespace

void Client::Impl::connect(const std::string& server) {
  ActiveCall active(*this);
  if (tls_io_owner == this) throw Error(ErrorCode::conflict, "connect() cannot be called from the event handler");
  const auto addresses = detail::parse_server_list(server);

  std::lock_guard life(lifecycle_mutex_);
  std::size_t first = 0;
  {
    std::lock_guard lock(state_mutex_);
    if (shutting_down_) throw Error(ErrorCode::unavailable, "the client is being destroyed");
    if (conn_ && conn_->is_open()) {
      throw Error(ErrorCode::conflict, "already connected to " + conn_->label() + "; disconnect() first");
    }
    if (server == server_list_) first = (server_index_ + (server_lost_ ? 1 : 0)) % addresses.size();
  }
  std::vector<std::pair<std::string, Error>> failures;
  for (std::size_t tried = 0; tried < addresses.size(); ++tried) {
    const std::size_t index = (first + tried) % addresses.size();
    try {
      open_one(addresses[index]);
      std::lock_guard lock(state_mutex_);
      server_list_ = server;
      server_index_ = index;
      server_address_ = addresses[index].text;
      server_lost_ = false;
      return;
    } catch (const Error& e) {
      if (addresses.size() == 1 || !worth_next_address(e)) throw;
      failures.emplace_back(addresses[index].text, e);
    }
    std::lock_guard lock(state_mutex_);
    // The destructor cut the attempt short: no next address.
    if (shutting_down_) throw Error(ErrorCode::unavailable, "the client is being destroyed");
  }
  throw every_address_failed(server, failures);
}

void Client::Impl::open_one(const detail::ServerAddress& address) {
  teardown();  // what is left of a lost connection, or of the previous address tried

  auto conn = std::make_shared<detail::Connection>(
      io_, address.text, [this](wire::Envelope&& push) { on_push(std::move(push)); },
      [this](const Error& reason) { on_lost(reason); });
  if (options_.tls) {
    // Each node's certificate is checked for its own host name.
    conn->use_tls(detail::make_client_tls_context(options_.tls_ca_file),
                  options_.tls_server_name.empty() ? address.host : options_.tls_server_name);
  }
  auto opened = std::make_shared<std::promise<std::optional<Error>>>();
  auto opened_future = opened->get_future();
  io_.restart();
  conn->open(address.host, address.port, options_.connect_timeout,
             [opened](std::optional<Error> error) { opened->set_value(std::move(error)); });
  {
    // Published before the handshake so that the destructor can cut it short.
    std::lock_guard lock(state_mutex_);
    conn_ = conn;
    ready_ = false;
    user_.reset();
    if (shutting_down_) conn->close(Error(ErrorCode::unavailable, "the client is being destroyed"), false);
  }
  io_thread_ = std::thread([this] {
    tls_io_owner = this;
    io_.run();
  });

  std::chrono::milliseconds idle_timeout{0};
  try {
    if (auto error = opened_future.get()) throw *error;
    const auto hello = proto::requests::hello(options_.client_name);
    const auto answer = exchange(*conn, hello, wire::Envelope::kHelloOk, options_.connect_timeout);
    if (answer.hello_ok().protocol_version() != proto::kProtocolVersion) {
      throw Error(ErrorCode::unsupported_version,
                  "server " + address.text + " speaks protocol version " +
                      std::to_string(answer.hello_ok().protocol_version()) + ", not " +
                      std::to_string(proto::kProtocolVersion));
    }
    idle_timeout = std::chrono::milliseconds(answer.hello_ok().idle_timeout_ms());
  } catch (const Error& e) {
    conn->close(e, false);
    teardown();
    throw;
  }
  {
    std::lock_guard lock(state_mutex_);
    ready_ = true;
  }
  // Only after the handshake: a ping must never be the first frame. A server with a shorter
  // idle timeout than our interval would cut us off between pings: ping at a third of it then.
  auto keepalive = options_.keepalive_interval;
  if (keepalive.count() > 0 && idle_timeout.count() > 0) keepalive = std::min(keepalive, idle_timeout / 3);
  conn->start_keepalive(keepalive, options_.keepalive_timeout, [this] { return ping_frame(); });
}

std::string Client::Impl::ping_frame() {
  return proto::encode_frame(next_request_id(), proto::requests::ping());
}

void Client::Impl::disconnect() noexcept {
  if (tls_io_owner == this) {
    // From the event handler: close now; the thread is joined by the next connect() or the
    // destructor (a thread cannot join itself).
    std::lock_guard lock(state_mutex_);
    if (conn_) conn_->close(Error(ErrorCode::unavailable, "disconnected from " + conn_->label()), false);
    ready_ = false;
    user_.reset();
    return;
  }
  std::lock_guard life(lifecycle_mutex_);
  teardown();
}

void Client::Impl::teardown() {
  std::shared_ptr<detail::Connection> conn;
  {
    std::lock_guard lock(state_mutex_);
    conn = std::move(conn_);
    conn_.reset();
    ready_ = false;
    user_.reset();
  }
  if (conn) conn->close(Error(ErrorCode::unavailable, "disconnected from " + conn->label()), false);
  // Once the socket is closed every handler finishes and run() returns by itself.
  if (io_thread_.joinable()) io_thread_.join();
  // Handlers posted after the thread had already exited (the server went away first) still hold
  // the connection: run them here so nothing outlives disconnect().
  io_.restart();
  io_.run();
}

std::string Client::Impl::server() const {
  std::lock_guard lock(state_mutex_);
  return server_address_;
}

bool Client::Impl::connected() const noexcept {
  std::lock_guard lock(state_mutex_);
  return ready_ && conn_ && conn_->is_open();
}

std::uint32_t Client::Impl::next_request_id() noexcept {
  std::uint32_t id;
  do {
    id = ++last_request_id_;
  } while (id == proto::kPushRequestId);  // after wrap-around
  return id;
}

wire::Envelope Client::Impl::call(const wire::Envelope& request, wire::Envelope::BodyCase expected) {
  ActiveCall active(*this);
  return exchange(*ready_connection(), request, expected, options_.request_timeout);
}

std::shared_ptr<detail::Connection> Client::Impl::ready_connection() {
  if (tls_io_owner == this) {
    throw Error(ErrorCode::conflict, "blocking calls cannot be made from the event handler");
  }
  std::shared_ptr<detail::Connection> conn;
  {
    std::lock_guard lock(state_mutex_);
    if (ready_) conn = conn_;
  }
  if (!conn) throw Error(ErrorCode::unavailable, "not connected");
  return conn;
}

wire::Envelope Client::Impl::exchange(detail::Connection& conn, const wire::Envelope& request,
                                      wire::Envelope::BodyCase expected, std::chrono::milliseconds timeout) {
  const std::uint32_t id = next_request_id();
  std::string frame;
  if (!proto::encode_frame(id, request, frame)) {
    throw Error(ErrorCode::invalid_argument, body_name(request) + " is too large to send");
  }
  auto future = conn.pending().add(id);
  conn.send(std::move(frame));
  // If remove() finds nothing, the answer (or a failure) won the race and is being delivered.
  if (future.wait_for(timeout) != std::future_status::ready && conn.pending().remove(id)) {
    throw Error(ErrorCode::timeout,
                "no answer from " + conn.label() + " within " + std::to_string(timeout.count()) + " ms");
  }
  auto result = future.get();
  if (auto* error = std::get_if<Error>(&result)) throw *error;
  auto& answer = std::get<wire::Envelope>(result);
  if (answer.has_error()) throw from_wire(answer.error());
  if (answer.body_case() != expected) {
    throw Error(ErrorCode::protocol_error, "server " + conn.label() + " answered " + body_name(request) +
                                               " with " + body_name(answer));
  }
  return std::move(answer);
}

Session Client::Impl::login_answer(const wire::Envelope& answer) {
  Session session{from_wire(answer.login_ok().user()), answer.login_ok().token(),
                  answer.login_ok().revoked_sessions()};
  set_user(session.user);
  return session;
}

void Client::Impl::set_user(std::optional<UserInfo> user) {
  std::lock_guard lock(state_mutex_);
  user_ = std::move(user);
}

std::optional<UserInfo> Client::Impl::current_user() const {
  std::lock_guard lock(state_mutex_);
  return user_;
}

std::optional<Event> Client::Impl::next_event(std::chrono::milliseconds timeout) {
  ActiveCall active(*this);
  return events_.next(timeout);
}

void Client::Impl::on_push(wire::Envelope&& push) {
  for (auto& event : detail::events_from_push(push, now_ms())) events_.push(std::move(event));
}

void Client::Impl::on_lost(const Error&) {
  {
    std::lock_guard lock(state_mutex_);
    if (!ready_) return;  // lost during the handshake: connect() reports it
    user_.reset();
    server_lost_ = true;
  }
  Event event;
  event.type = "disconnected";
  event.time_ms = now_ms();
  events_.push(std::move(event));
}

// ---- public API -------------------------------------------------------------------------------

Client::Client() : Client(Options{}) {}
Client::Client(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

void Client::connect(const std::string& server) { impl_->connect(server); }
void Client::disconnect() noexcept { impl_->disconnect(); }
bool Client::connected() const noexcept { return impl_->connected(); }
std::string Client::server() const { return impl_->server(); }

UserId Client::register_user(const std::string& email, const std::string& nick, const std::string& password) {
  const auto request = proto::requests::register_user(email, nick, password);
  return impl_->call(request, wire::Envelope::kRegisterResponse).register_response().user_id();
}

Session Client::login(UserId id, const std::string& password, bool announce_presence,
                      const std::vector<std::string>& revoke_tokens) {
  const auto request = proto::requests::login(id, password, announce_presence, revoke_tokens);
  return impl_->login_answer(impl_->call(request, wire::Envelope::kLoginOk));
}

Session Client::resume(const std::string& token, bool announce_presence) {
  const auto request = proto::requests::resume(token, announce_presence);
  return impl_->login_answer(impl_->call(request, wire::Envelope::kLoginOk));
}

void Client::logout() {
  impl_->call(proto::requests::logout(), wire::Envelope::kOk);
  impl_->set_user(std::nullopt);
}

UserInfo Client::find_user(UserId id) {
  return from_wire(impl_->call(proto::requests::find_user(id), wire::Envelope::kUserInfo).user_info());
}

AddFriendResult Client::add_friend(UserId id) {
  return from_wire(impl_->call(proto::requests::add_friend(id), wire::Envelope::kAddFriendResult).add_friend_result());
}

void Client::remove_friend(UserId id) {
  impl_->call(proto::requests::remove_friend(id), wire::Envelope::kOk);
}

std::vector<Friend> Client::friends() {
  return from_wire(impl_->call(proto::requests::list_friends(), wire::Envelope::kFriendList).friend_list());
}

FriendRequests Client::friend_requests() {
  const auto request = proto::requests::list_friend_requests();
  return from_wire(impl_->call(request, wire::Envelope::kFriendRequestList).friend_request_list());
}

SendResult Client::send_message(UserId to, const std::string& text, const std::string& client_msg_id) {
  const auto request = proto::requests::send_message(to, text, client_msg_id_or_random(client_msg_id));
  return from_wire(impl_->call(request, wire::Envelope::kMessageSent).message_sent());
}

SendResult Client::send_room_message(RoomId room, const std::string& text, const std::string& client_msg_id) {
  const auto request = proto::requests::send_room_message(room, text, client_msg_id_or_random(client_msg_id));
  return from_wire(impl_->call(request, wire::Envelope::kMessageSent).message_sent());
}

InboxPage Client::fetch_inbox(Seq after_seq, std::uint32_t limit) {
  if (limit < 1 || limit > kMaxFetchLimit) {
    throw Error(ErrorCode::invalid_argument,
                "fetch limit must be 1.." + std::to_string(kMaxFetchLimit) + ", not " + std::to_string(limit));
  }
  const auto request = proto::requests::fetch_inbox(after_seq, limit);
  return from_wire(impl_->call(request, wire::Envelope::kInboxItems).inbox_items());
}

void Client::ack(Seq up_to_seq) {
  impl_->call(proto::requests::ack(up_to_seq), wire::Envelope::kOk);
}

void Client::subscribe(Seq after_seq) {
  impl_->call(proto::requests::subscribe(after_seq), wire::Envelope::kOk);
}

HistoryPage Client::history(UserId peer, std::uint32_t limit, MessageId before_id) {
  check_history_limit(limit);
  const auto request = proto::requests::history(peer, limit, before_id);
  return from_wire(impl_->call(request, wire::Envelope::kMessageList).message_list());
}

void Client::mark_read(UserId peer, MessageId up_to_id) {
  impl_->call(proto::requests::mark_read(peer, 0, up_to_id), wire::Envelope::kOk);
}

void Client::mark_room_read(RoomId room, MessageId up_to_id) {
  impl_->call(proto::requests::mark_read(0, room, up_to_id), wire::Envelope::kOk);
}

HistoryPage Client::room_history(RoomId room, std::uint32_t limit, MessageId before_id) {
  check_history_limit(limit);
  const auto request = proto::requests::room_history(room, limit, before_id);
  return from_wire(impl_->call(request, wire::Envelope::kMessageList).message_list());
}

std::optional<UserInfo> Client::current_user() const { return impl_->current_user(); }

std::optional<Event> Client::next_event(std::chrono::milliseconds timeout) { return impl_->next_event(timeout); }

void Client::set_event_handler(std::function<void(const Event&)> handler) {
  impl_->set_event_handler(std::move(handler));
}

}  // namespace occhat
