#include "session.hpp"

#include <variant>

#include "dispatcher.hpp"
#include "log.hpp"
#include "send_stages.hpp"
#include "server_context.hpp"
#include "utf8_fields.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

// Sends of one connection in flight at once: enough to fill a group commit from one busy
// client, few enough that one client cannot monopolise the store.
constexpr std::size_t kMaxPipelinedSends = 64;

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

asio::awaitable<store::InboxPage> read_inbox(ServerContext& server, std::uint32_t user_id, std::uint64_t after_seq,
                                             std::uint32_t limit) {
  auto fetch_job = [user_id, after_seq, limit](store::Store& store) {
    return store.fetch_inbox(user_id, after_seq, limit);
  };
  co_return co_await server.store.run(std::move(fetch_job));
}

}  // namespace

Session::Session(Connection& connection, ServerContext& server)
    : connection_(connection),
      server_(server),
      pipeline_(
          connection.executor(), kMaxPipelinedSends,
          [this](const proto::Frame& frame, std::chrono::steady_clock::time_point read_at) {
            return handle(frame, read_at);
          },
          [this](std::uint32_t request_id, const Reply& reply) { return answer(request_id, reply); },
          [this](const Effect& effect) { apply(effect); },
          [this](std::uint32_t request_id, const Reply& reply) { return answer_now(request_id, reply); }) {}

Session::~Session() = default;

RequestContext Session::context() const {
  RequestContext context;
  context.connection_id = connection_.id();
  context.peer_address = connection_.peer_address();
  context.hello_done = hello_done_;
  context.client_name = client_name_;
  context.user_id = user_id_;
  context.token_hash = token_hash_;
  return context;
}

asio::awaitable<bool> Session::on_frame(Incoming incoming) {
  if (incoming.error != proto::DecodeError::none) {
    co_await pipeline_.drain();
    co_return co_await refuse_frame(incoming);
  }
  if (incoming.frame.body.has_send_message_request() && hello_done_ && user_id_) {
    co_await pipeline_.run_pipelined(std::move(incoming.frame), connection_.shared_from_this(), incoming.read_at);
  } else {
    co_await pipeline_.run_alone(incoming.frame, incoming.read_at);
  }
  co_return true;
}

asio::awaitable<bool> Session::refuse_frame(const Incoming& incoming) {
  const std::uint32_t request_id = incoming.frame.request_id;
  // A frame that is well-formed except for non-UTF-8 text is a bad argument, not a broken stream.
  const auto field =
      incoming.bad_payload && hello_done_ ? invalid_utf8_field(incoming.header, incoming.payload) : std::nullopt;
  if (field) {
    co_await connection_.send(request_id, error_body(ErrorCode::invalid_argument, *field + " must be valid UTF-8"));
    co_return true;
  }
  log_event("conn {} protocol error: {}", connection_.id(), proto::decode_error_text(incoming.error));
  co_await connection_.send(request_id, error_body(ErrorCode::protocol_error, proto::decode_error_text(incoming.error)));
  connection_.close_after_flush();
  co_return false;
}

asio::awaitable<void> Session::on_input_end() { co_await pipeline_.drain(); }

asio::awaitable<Reply> Session::handle(const proto::Frame& frame, std::chrono::steady_clock::time_point read_at) {
  RequestContext context = this->context();
  context.read_at = read_at;
  // The snapshot moves into dispatch's coroutine frame: no frame of our own per request.
  return dispatch(server_, std::move(context), frame.body);
}

asio::awaitable<void> Session::answer(std::uint32_t request_id, const Reply& reply) {
  co_await connection_.send(request_id, reply.body);
  if (reply.close) connection_.close_after_flush();
}

bool Session::answer_now(std::uint32_t request_id, const Reply& reply) {
  if (!connection_.try_send(request_id, reply.body)) return false;
  if (reply.close) connection_.close_after_flush();
  return true;
}

void Session::apply(const Effect& effect) {
  std::visit(Overloaded{
                 [this](const effect::HelloDone& hello) {
                   hello_done_ = true;
                   client_name_ = hello.client_name;
                 },
                 [this](const effect::LogIn& login) { log_in(login); },
                 [this](const effect::LogOut&) { log_out(); },
                 [this](const effect::RevokeToken& revoke) {
                   server_.bus->revoke_token(revoke.user_id, revoke.token_hash, connection_.id(), revoke.reason);
                 },
                 [this](const effect::RevokeUserSessions& revoke) {
                   server_.bus->revoke_user(revoke.user_id, revoke.keep, connection_.id(), revoke.reason);
                 },
                 [this](const effect::Deliver& deliver) { server_.bus->publish_inbox_item(deliver.item); },
                 [this](const effect::DeliverMany& deliver) {
                   for (const auto& item : deliver.items) {
                     // A timed send's first item is the recipient's: its push is timed to the socket.
                     const TimedPush timed(server_, &item == deliver.items.data() ? deliver.timing : std::nullopt);
                     server_.bus->publish_inbox_item(item);
                   }
                   if (deliver.timing) record_send_queued(server_.metrics.send_stages, *deliver.timing);
                 },
                 [this](const effect::Subscribe& subscribe) { this->subscribe(subscribe); },
                 [this](const effect::Acknowledged& ack) {
                   if (subscription_) subscription_->acknowledged(ack.acked_seq);
                 },
                 [this](const effect::Befriended& pair) {
                   // New friends who are both around see each other come online at once.
                   PushBus& bus = *server_.bus;
                   if (bus.online(pair.first)) bus.share_presence({pair.first, pair.first_nick, true, {pair.second}});
                   if (bus.online(pair.second)) bus.share_presence({pair.second, pair.second_nick, true, {pair.first}});
                 },
             },
             effect);
}

void Session::log_in(const effect::LogIn& login) {
  if (connection_.stopped()) return;  // closed while the login was answered: nothing to attach
  if (user_id_ && *user_id_ != login.user_id) log_out();
  user_id_ = login.user_id;
  token_hash_ = login.token_hash;
  connection_.set_authenticated(true);
  // The bus holds the sink as part of the connection (aliasing): it stays alive until detach.
  std::shared_ptr<PushSink> sink(connection_.shared_from_this(), static_cast<PushSink*>(this));
  server_.bus->attach(Attachment{connection_.id(), login.user_id, login.token_hash, login.announce_presence},
                      std::move(sink));
}

void Session::log_out() {
  if (!user_id_) return;
  server_.bus->detach(connection_.id());
  user_id_.reset();
  token_hash_.reset();
  // Pushes belong to the user: the subscription ends with the login.
  if (subscription_) subscription_->cancel();
  subscription_.reset();
  // Logged out but still connected: an unauthenticated connection again, with a new deadline.
  connection_.set_authenticated(false);
}

void Session::subscribe(const effect::Subscribe& subscribe) {
  if (connection_.closing() || !user_id_) return;
  const bool fresh = !subscription_;
  if (fresh) {
    InboxReader reader = [&server = server_](std::uint32_t user_id, std::uint64_t after, std::uint32_t limit) {
      return read_inbox(server, user_id, after, limit);
    };
    subscription_ = std::make_shared<Subscription>(connection_.executor(), connection_.shared_from_this(),
                                                   std::move(reader), *user_id_, connection_.id());
  }
  subscription_->start(subscribe.after_seq);
  if (fresh) push_presence_snapshot(subscribe.friends);
}

void Session::push_presence_snapshot(const std::vector<store::Friend>& friends) {
  // Runs on the network thread right after the subscription exists: every later change reaches
  // it as a live presence event, after this snapshot (the bus runs on this thread too).
  for (const auto& f : friends) {
    if (!server_.bus->online(f.id)) continue;
    wire::Envelope body;
    auto* event = body.mutable_presence_event();
    event->set_user_id(f.id);
    event->set_online(true);
    event->set_nick(f.nick);
    event->set_snapshot(true);
    if (const SharedFrame frame = encode_push(body)) subscription_->presence(*event, frame);
  }
}

void Session::push_inbox_item(const store::InboxItem& item, const SharedFrame& frame) {
  if (!subscription_) return;
  subscription_->deliver(item, frame);
  server_.metrics.deliveries_pushed.fetch_add(1, std::memory_order_relaxed);
}

void Session::push_presence(const wire::PresenceEvent& event, const SharedFrame& frame) {
  if (subscription_) subscription_->presence(event, frame);
}

void Session::catch_up() {
  if (subscription_) subscription_->start(0);  // from where the pushes left off
}

void Session::token_revoked(std::string_view reason) {
  log_out();
  connection_.refuse(ErrorCode::unauthenticated, reason);
}

void Session::on_room() {
  if (subscription_) subscription_->room_made();
}

void Session::on_stop() {
  pipeline_.stop();
  log_out();
}

std::shared_ptr<Connection> start_session(std::unique_ptr<Transport> transport, ServerContext& server,
                                          std::uint64_t id) {
  auto connection = std::make_shared<Connection>(std::move(transport), server, id);
  connection->start(std::make_unique<Session>(*connection, server));
  return connection;
}

}  // namespace occhat::server
