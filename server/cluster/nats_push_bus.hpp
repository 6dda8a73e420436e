#pragma once
// The PushBus of a cluster node (--bus): this node's connections are served by an
// InProcessPushBus, and everything that concerns connections elsewhere crosses NATS:
//   occhat.push     committed inbox items (the push frame's bytes) and shared presence changes
//   occhat.revoke   token and user revocations
//   occhat.presence this node's presence deltas (a user's local count crossed zero)
//   occhat.node     this node's heartbeat every 2 s: its incarnation and locally online users
// Presence is replicated (PresenceMap): every node derives the cluster-wide transitions itself
// and announces them to its own connections, so no single announcer can be lost.
//
// A push is a hint: whenever bus messages may have been missed (NATS reconnected, a slow
// consumer), every local subscription reads the store from where its pushes left off: late,
// never lost, never repeated (subscriptions drop what they already have by seq).
//
// Network thread only, like the in-process bus.

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <string_view>

#include "in_process_push_bus.hpp"
#include "nats_link.hpp"
#include "presence_map.hpp"

namespace occhat::cluster {

class NodeHeader;  // proto/cluster.proto

class NatsPushBus final : public server::PushBus {
 public:
  static constexpr std::chrono::seconds kHeartbeatInterval{2};
  static constexpr std::chrono::seconds kSilenceLimit{8};

  // `cluster_listener` hears the cluster-wide transitions (announce them to this node's
  // connections); `local_listener` this node's own (for metrics).
  NatsPushBus(asio::any_io_executor network, NatsLink& link, NodeIdentity self,
              server::PresenceListener cluster_listener, server::PresenceListener local_listener);

  // Subscribes and starts the heartbeat. Network thread (or before it runs).
  void start();
  // Stops the heartbeat timer (shutdown).
  void stop();

  void attach(const server::Attachment& attachment, std::shared_ptr<server::PushSink> sink) override;
  void detach(std::uint64_t connection_id) override;
  void publish_inbox_item(const store::InboxItem& item) override;
  void publish_presence(const server::PresenceChange& change) override;
  void share_presence(const server::PresenceChange& change) override;
  void revoke_token(std::uint32_t user_id, const store::TokenHash& token_hash, std::uint64_t except_connection,
                    std::string_view reason) override;
  void revoke_user(std::uint32_t user_id, const std::optional<store::TokenHash>& keep,
                   std::uint64_t except_connection, std::string_view reason) override;
  bool online(std::uint32_t user_id) const override;

  std::size_t live_nodes() const { return presence_.live_nodes(); }

 private:
  void local_presence(std::uint32_t user_id, bool online);
  void announce(const std::vector<PresenceTransition>& transitions);
  void on_push(std::string_view body);
  void on_revoke(std::string_view body);
  void on_presence_delta(std::string_view body);
  void on_heartbeat(std::string_view body);
  // Fills the header of this node's presence deltas and heartbeats (the next seq orders them).
  void stamp(NodeHeader& header);
  void send_heartbeat();
  void tick();
  void catch_up_everyone(std::string_view why);

  asio::any_io_executor network_;
  NatsLink& link_;
  NodeIdentity self_;
  server::PresenceListener cluster_listener_;
  server::PresenceListener local_listener_;
  server::InProcessPushBus local_;
  PresenceMap presence_;
  std::uint64_t presence_seq_ = 0;  // orders this node's deltas and heartbeats
  asio::steady_timer timer_;
  int ticks_ = 0;
  int foreign_heartbeats_ = 0;  // heartbeats of another incarnation with our node id
  bool stopped_ = false;
};

}  // namespace occhat::cluster
