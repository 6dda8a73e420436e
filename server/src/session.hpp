#pragma once
// The logic of one client connection: the conversation state (hello done, who is logged in,
// with which token), the order in which requests run (RequestPipeline), what their effects do,
// and the inbox subscription. Bytes, queues, timers and limits are its Connection's.
//
// Handlers never see a Session: each request gets a RequestContext snapshot and returns a
// Reply whose effects the session applies after queuing the answer. Pushes from other
// connections arrive through the PushBus, to which a logged-in session is attached as a
// PushSink.
//
// Owned by its Connection; lives on the network thread.

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>

#include "connection.hpp"
#include "effects.hpp"
#include "push_bus.hpp"
#include "request_context.hpp"
#include "request_pipeline.hpp"
#include "subscription.hpp"

namespace occhat::server {

struct ServerContext;

class Session final : public ConnectionHandler, public PushSink {
 public:
  Session(Connection& connection, ServerContext& server);
  ~Session() override;

  // ConnectionHandler
  asio::awaitable<bool> on_frame(Incoming incoming) override;
  asio::awaitable<void> on_input_end() override;
  void on_room() override;
  void on_stop() override;

  // PushSink
  void push_inbox_item(const store::InboxItem& item, const SharedFrame& frame) override;
  void push_presence(const wire::PresenceEvent& event, const SharedFrame& frame) override;
  void token_revoked(std::string_view reason) override;
  void catch_up() override;

 private:
  RequestContext context() const;
  asio::awaitable<Reply> handle(const proto::Frame& frame, std::chrono::steady_clock::time_point read_at);
  asio::awaitable<void> answer(std::uint32_t request_id, const Reply& reply);
  // The same without waiting; false when the queue is full (then answer() waits for room).
  bool answer_now(std::uint32_t request_id, const Reply& reply);
  // A frame that could not be decoded: INVALID_ARGUMENT for a field that is not UTF-8 (the
  // stream goes on), PROTOCOL_ERROR and close for anything else. False: stop reading.
  asio::awaitable<bool> refuse_frame(const Incoming& incoming);
  void apply(const Effect& effect);
  void log_in(const effect::LogIn& login);
  void log_out();
  void subscribe(const effect::Subscribe& subscribe);
  void push_presence_snapshot(const std::vector<store::Friend>& friends);

  Connection& connection_;
  ServerContext& server_;
  RequestPipeline pipeline_;
  bool hello_done_ = false;
  std::string client_name_;  // from the hello: recorded with the sessions this connection opens
  std::optional<std::uint32_t> user_id_;
  std::optional<store::TokenHash> token_hash_;
  std::shared_ptr<Subscription> subscription_;  // while subscribed
};

// A connection over `transport` with a Session on top, started (see Connection::start).
std::shared_ptr<Connection> start_session(std::unique_ptr<Transport> transport, ServerContext& server,
                                          std::uint64_t id);

}  // namespace occhat::server
