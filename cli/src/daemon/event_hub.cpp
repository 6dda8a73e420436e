#include "daemon/event_hub.hpp"

#include <algorithm>

#include "daemon/jsonrpc.hpp"
#include "event_format.hpp"

namespace occhat::cli::daemon {
namespace {

Json event_notification(const Event& event) { return notification("event", event_json(event)); }

}  // namespace

void EventHub::send_to_subscribers(const Json& json) {
  for (Peer* peer : subscribers_) peer->send(json);
}

void EventHub::on_event(const Event& event) {
  std::lock_guard lock(mutex_);
  if (event.seq == 0) {
    send_to_subscribers(event_notification(event));
    return;
  }
  if (event.seq <= forwarded_ || event.seq <= acked_) return;  // a repeat after a reconnect
  if (overflow_ || pending_.size() >= kMaxPending) {
    // Not taken: a later one must not be forwarded past this gap either. A resubscription
    // brings them back.
    overflow_ = true;
    return;
  }
  pending_.push_back(event);
  forwarded_ = event.seq;
  send_to_subscribers(event_notification(event));
}

void EventHub::on_resubscribed() {
  std::lock_guard lock(mutex_);
  overflow_ = false;
  resync_asked_ = false;
}

Seq EventHub::acked() const {
  std::lock_guard lock(mutex_);
  return acked_;
}

std::size_t EventHub::subscribe(Peer& peer) {
  std::lock_guard lock(mutex_);
  if (std::find(subscribers_.begin(), subscribers_.end(), &peer) != subscribers_.end()) return 0;
  for (const Event& event : pending_) peer.send(event_notification(event));
  subscribers_.push_back(&peer);
  return pending_.size();
}

void EventHub::unsubscribe(Peer& peer) {
  std::lock_guard lock(mutex_);
  std::erase(subscribers_, &peer);
}

void EventHub::fetched(Seq seq) {
  std::lock_guard lock(mutex_);
  fetched_ = std::max(fetched_, seq);
}

Seq EventHub::ack(Seq seq, const std::function<void(Seq)>& server_ack) {
  std::lock_guard ack_lock(ack_mutex_);
  {
    std::lock_guard lock(mutex_);
    const Seq delivered = std::max(forwarded_, fetched_);
    if (seq > delivered) {
      throw invalid_params("seq " + std::to_string(seq) + " has not been delivered (highest delivered: " +
                           std::to_string(delivered) + ")");
    }
    if (seq <= acked_) return acked_;
  }
  server_ack(seq);  // without the hub's lock: events keep flowing while the server answers
  bool resync = false;
  {
    std::lock_guard lock(mutex_);
    acked_ = seq;
    while (!pending_.empty() && pending_.front().seq <= seq) pending_.pop_front();
    if (overflow_ && !resync_asked_ && pending_.size() <= kMaxPending / 2) resync = resync_asked_ = true;
  }
  if (resync) resubscribe_();
  return seq;
}

void EventHub::add_peer(Peer& peer, const Json& greeting) {
  std::lock_guard lock(mutex_);
  peer.send(greeting);
  peers_.push_back(&peer);
}

void EventHub::remove_peer(Peer& peer) {
  std::lock_guard lock(mutex_);
  std::erase(peers_, &peer);
  std::erase(subscribers_, &peer);
}

void EventHub::broadcast(const Json& json) {
  std::lock_guard lock(mutex_);
  for (Peer* peer : peers_) peer->send(json);
}

}  // namespace occhat::cli::daemon
