#pragma once
// The cluster's presence as every node replicates it: node -> (incarnation, last heard, the
// users online there). A user is online while any live node lists them. Fed by this node's own
// changes (set_local), the other nodes' deltas and heartbeats, and the clock (expire); each call
// returns the cluster-wide transitions it caused, which the caller announces to its own
// connections. Pure: no bus, no clock of its own, no threads (network thread only).
//
// A node silent for longer than the silence limit is dropped with its users. A newer incarnation
// of the same node id (a restarted process) replaces the old one at once, so a node that comes
// back never resurrects what its previous incarnation listed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace occhat::cluster {

// One process of one node: `incarnation` is drawn at random at start-up, `started_ms` (wall
// clock) orders two incarnations of the same node id.
struct NodeIdentity {
  std::string node_id;
  std::uint64_t incarnation = 0;
  std::int64_t started_ms = 0;
};

struct PresenceTransition {
  std::uint32_t user_id = 0;
  bool online = false;
  bool operator==(const PresenceTransition&) const = default;
};

class PresenceMap {
 public:
  using Clock = std::chrono::steady_clock;

  PresenceMap(NodeIdentity self, std::chrono::milliseconds silence_limit);

  // This node's count of presence-announcing connections of `user_id` crossed zero.
  std::vector<PresenceTransition> set_local(std::uint32_t user_id, bool online);
  // Another node's delta; `seq` orders that node's messages (an older one is ignored).
  std::vector<PresenceTransition> apply_delta(const NodeIdentity& node, std::uint64_t seq, std::uint32_t user_id,
                                              bool online, Clock::time_point now);
  // Another node's heartbeat: its full set of online users.
  std::vector<PresenceTransition> apply_heartbeat(const NodeIdentity& node, std::uint64_t seq,
                                                  const std::vector<std::uint32_t>& users, Clock::time_point now);
  // Drops the nodes not heard from for longer than the silence limit.
  std::vector<PresenceTransition> expire(Clock::time_point now);

  bool online(std::uint32_t user_id) const { return listed_by_.count(user_id) > 0; }
  // Nodes known alive, this one included.
  std::size_t live_nodes() const { return nodes_.size() + 1; }
  const std::unordered_set<std::uint32_t>& local_users() const { return local_; }

 private:
  struct Node {
    std::uint64_t incarnation = 0;
    std::int64_t started_ms = 0;
    std::uint64_t seq = 0;
    Clock::time_point last_heard;
    std::unordered_set<std::uint32_t> users;
  };
  // Records the online state of users before a change, to report only net transitions.
  class Changes;

  // The entry for `node`'s message, or null when the message is to be ignored (our own, from a
  // replaced incarnation, or older than one already applied). A newer incarnation replaces the
  // old entry, whose users are taken off first.
  Node* accept(const NodeIdentity& node, std::uint64_t seq, Clock::time_point now, Changes& changes);
  void list(std::uint32_t user_id, Changes& changes);
  void unlist(std::uint32_t user_id, Changes& changes);

  NodeIdentity self_;
  std::chrono::milliseconds silence_limit_;
  std::unordered_set<std::uint32_t> local_;
  std::unordered_map<std::string, Node> nodes_;          // the other nodes, by node id
  std::unordered_map<std::uint32_t, int> listed_by_;     // users with the number of nodes listing them
};

}  // namespace occhat::cluster
