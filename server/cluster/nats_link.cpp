#include "nats_link.hpp"

#include <asio/post.hpp>
#include <fmt/format.h>
#include <nats/nats.h>

#include <stdexcept>
#include <thread>

#include "log.hpp"

namespace occhat::cluster {
namespace {

using server::log_event;

// Between connection attempts at start-up, and between reconnections later.
constexpr int kRetryMillis = 250;
// Messages libnats may hold for a subscription before it counts as a slow consumer (then
// messages are dropped and message_lost fires): generous, the network thread drains quickly.
constexpr int kPendingMessages = 1'000'000;
constexpr int kPendingBytes = 512 * 1024 * 1024;

std::string status_text(natsStatus status) {
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0') return last;
  return natsStatus_GetText(status);
}

void check(natsStatus status, const char* what) {
  if (status != NATS_OK) throw std::runtime_error(fmt::format("{}: {}", what, status_text(status)));
}

}  // namespace

// What libnats' threads reach (through a raw closure pointer, valid until close()): the
// executor to post onto and the owners' events. Every posted call holds it, so a call still
// queued after close() finds it alive and does nothing.
struct NatsLink::State : std::enable_shared_from_this<NatsLink::State> {
  asio::any_io_executor network;
  std::vector<Events> events;  // network thread only
  bool closed = false;         // network thread only

  void fire(std::function<void()> Events::*which) {
    asio::post(network, [self = shared_from_this(), which] {
      if (self->closed) return;
      for (const auto& e : self->events) {
        if (e.*which) (e.*which)();
      }
    });
  }

  static void on_disconnected(natsConnection*, void* closure) {
    static_cast<State*>(closure)->fire(&Events::disconnected);
  }
  static void on_reconnected(natsConnection*, void* closure) {
    static_cast<State*>(closure)->fire(&Events::reconnected);
  }
  static void on_error(natsConnection*, natsSubscription*, natsStatus status, void* closure) {
    if (status == NATS_SLOW_CONSUMER) static_cast<State*>(closure)->fire(&Events::message_lost);
  }
};

struct NatsLink::Subscription {
  std::shared_ptr<State> state;
  Handler handler;  // network thread only
  natsSubscription* sub = nullptr;

  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<Subscription*>(closure);
    std::string body(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    natsMsg_Destroy(msg);
    asio::post(self->state->network, [state = self->state, self, body = std::move(body)] {
      if (!state->closed) self->handler(body);
    });
  }
};

NatsLink::NatsLink(asio::any_io_executor network, const std::string& url, std::chrono::seconds startup_wait,
                   const std::string& client_name)
    : url_(url), state_(std::make_shared<State>()) {
  state_->network = std::move(network);
  natsOptions* options = nullptr;
  check(natsOptions_Create(&options), "cannot set up NATS");
  try {
    check(natsOptions_SetURL(options, url.c_str()), fmt::format("bad NATS URL {}", url).c_str());
    check(natsOptions_SetName(options, client_name.c_str()), "cannot set up NATS");
    // Never give up: a node outlives a NATS restart, and learns of it through `reconnected`.
    check(natsOptions_SetMaxReconnect(options, -1), "cannot set up NATS");
    check(natsOptions_SetReconnectWait(options, kRetryMillis), "cannot set up NATS");
    check(natsOptions_SetTimeout(options, 2000), "cannot set up NATS");
    // Our own messages are of no use to us (each also names its sender's incarnation).
    check(natsOptions_SetNoEcho(options, true), "cannot set up NATS");
    check(natsOptions_SetDisconnectedCB(options, &State::on_disconnected, state_.get()), "cannot set up NATS");
    check(natsOptions_SetReconnectedCB(options, &State::on_reconnected, state_.get()), "cannot set up NATS");
    check(natsOptions_SetErrorHandler(options, &State::on_error, state_.get()), "cannot set up NATS");
  } catch (...) {
    natsOptions_Destroy(options);
    throw;
  }
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + startup_wait;
  for (;;) {
    const natsStatus status = natsConnection_Connect(&connection_, options);
    if (status == NATS_OK) break;
    const std::string reason = status_text(status);
    if (std::chrono::steady_clock::now() >= deadline) {
      natsOptions_Destroy(options);
      throw std::runtime_error(
          fmt::format("cannot connect to NATS at {}: {} (waited {} s)", url, reason, startup_wait.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kRetryMillis));
  }
  natsOptions_Destroy(options);
}

NatsLink::~NatsLink() { close(); }

void NatsLink::add_events(Events events) { state_->events.push_back(std::move(events)); }

void NatsLink::publish(const std::string& subject, std::string_view body) {
  if (connection_ == nullptr) return;
  const natsStatus status =
      natsConnection_Publish(connection_, subject.c_str(), body.data(), static_cast<int>(body.size()));
  if (status != NATS_OK) {
    // Rare (reconnect buffer full): the store has what this message pointed to.
    log_event("bus: a message on {} was not sent: {}", subject, status_text(status));
  }
}

void NatsLink::subscribe(const std::string& subject, Handler handler) {
  auto subscription = std::make_unique<Subscription>();
  subscription->state = state_;
  subscription->handler = std::move(handler);
  check(natsConnection_Subscribe(&subscription->sub, connection_, subject.c_str(), &Subscription::on_message,
                                 subscription.get()),
        fmt::format("cannot subscribe to {}", subject).c_str());
  natsSubscription_SetPendingLimits(subscription->sub, kPendingMessages, kPendingBytes);
  subscriptions_.push_back(std::move(subscription));
}

void NatsLink::close() {
  if (connection_ == nullptr) return;
  state_->closed = true;
  for (auto& subscription : subscriptions_) {
    natsSubscription_Unsubscribe(subscription->sub);
    natsSubscription_Destroy(subscription->sub);
  }
  natsConnection_FlushTimeout(connection_, 1000);  // what was published last still leaves
  natsConnection_Close(connection_);
  natsConnection_Destroy(connection_);
  connection_ = nullptr;
  // The Subscription objects may still be named by posts in the queue: they stay until we go.
}

}  // namespace occhat::cluster
