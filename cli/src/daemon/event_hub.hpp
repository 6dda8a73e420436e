#pragma once
// Where the daemon's inbox events go: to every client that called `subscribe`, with the
// at-least-once contract of `watch`.
//
// Sequenced events (seq > 0) are kept in `pending` from the moment they arrive until a client
// acknowledges them (`ack`, which acknowledges on the server too); a client that subscribes gets
// the pending ones first, then every new one. Each seq is forwarded once per daemon process: after
// a reconnect the server pushes its unacknowledged events again, and those already forwarded are
// dropped here. Presence events are forwarded and not kept. The server forgets nothing before an
// ack, so whatever a client did not acknowledge comes again after a daemon restart.
//
// At most kMaxPending events are held. Beyond that new ones are not taken (the server keeps them);
// once acknowledgements bring the backlog down to half, the hub asks for a resubscription, which
// makes the server push them again.

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "daemon/peer.hpp"
#include "occhat/client.hpp"

namespace occhat::cli::daemon {

inline constexpr std::size_t kMaxPending = 10000;

class EventHub {
 public:
  // `resubscribe` is called (without the hub's lock) when events were left with the server.
  explicit EventHub(std::function<void()> resubscribe) : resubscribe_(std::move(resubscribe)) {}

  // An event pushed by the server (not "disconnected").
  void on_event(const Event& event);
  // A fresh server subscription starts after acked(): take everything again.
  void on_resubscribed();
  // The seq a new subscription starts after.
  Seq acked() const;

  // Adds `peer` to the subscribers after sending it every pending event; returns how many.
  // Subscribing again changes nothing (0).
  std::size_t subscribe(Peer& peer);
  void unsubscribe(Peer& peer);

  // Every connected client, subscribed or not, for broadcast(). `greeting` (hello) is its first
  // line: sent under the hub's lock, so no notification comes before it or is missed after it.
  void add_peer(Peer& peer, const Json& greeting);
  void remove_peer(Peer& peer);  // also unsubscribes it

  // The `inbox` method showed a client events up to `seq`: they may be acknowledged too.
  void fetched(Seq seq);

  // `ack` method: checks `seq` (at most the highest forwarded or fetched; invalid_params
  // otherwise), has
  // `server_ack` acknowledge it on the server, then forgets the pending events up to it.
  // Returns the seq everything is acknowledged up to.
  Seq ack(Seq seq, const std::function<void(Seq)>& server_ack);

  // Sends a notification to every client (connection lost/restored/failed).
  void broadcast(const Json& json);

 private:
  void send_to_subscribers(const Json& json);  // with mutex_ held

  std::function<void()> resubscribe_;
  mutable std::mutex mutex_;
  std::mutex ack_mutex_;  // one ack at a time, so acked_ only grows
  std::vector<Peer*> peers_;
  std::vector<Peer*> subscribers_;
  std::deque<Event> pending_;
  Seq acked_ = 0;      // acknowledged on the server by this daemon
  Seq forwarded_ = 0;  // highest seq taken into pending_
  Seq fetched_ = 0;    // highest seq an `inbox` call returned
  bool overflow_ = false;  // events were left with the server
  bool resync_asked_ = false;
};

}  // namespace occhat::cli::daemon
