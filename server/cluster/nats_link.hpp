#pragma once
// The node's one connection to the cluster's NATS server (--bus). Whatever arrives runs on the
// network thread (posted to its executor): the push bus, the login throttle and the limiters
// live there without locks. libnats reconnects by itself; the owner learns of every gap through
// the events, so it can catch up from the store (a bus message is a hint, never the truth).
//
// Generic on purpose: the push bus and the cluster-wide limits subscribe to subjects of their
// own and publish bytes; neither knows of the other.

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct __natsConnection;  // libnats' natsConnection, without its header here

namespace occhat::cluster {

class NatsLink {
 public:
  // Called on the network thread with one message's body.
  using Handler = std::function<void(std::string_view body)>;
  // Called on the network thread.
  struct Events {
    std::function<void()> disconnected;
    std::function<void()> reconnected;   // messages may have been missed meanwhile
    std::function<void()> message_lost;  // a slow consumer: libnats dropped messages
  };

  // Connects to `url` (nats://HOST:PORT), trying again for up to `startup_wait` (0: once).
  // Throws std::runtime_error "cannot connect to NATS at URL: REASON (waited N s)".
  NatsLink(asio::any_io_executor network, const std::string& url, std::chrono::seconds startup_wait,
           const std::string& client_name);
  ~NatsLink();
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  // Network thread only. Several owners may add events: each gets every event.
  void add_events(Events events);
  // Queues `body` for `subject` (libnats sends it from its own thread). A message that cannot
  // be queued (disconnected for long, buffer full) is dropped and logged: the store has it.
  void publish(const std::string& subject, std::string_view body);
  // Every message on `subject` from now on goes to `handler` (on the network thread).
  void subscribe(const std::string& subject, Handler handler);
  // Stops every subscription and closes the connection; nothing is called afterwards.
  void close();

  const std::string& url() const noexcept { return url_; }

 private:
  struct State;
  struct Subscription;

  std::string url_;
  std::shared_ptr<State> state_;
  ::__natsConnection* connection_ = nullptr;
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
};

}  // namespace occhat::cluster
