#include "presence_map.hpp"

#include <algorithm>
#include <utility>

namespace occhat::cluster {

class PresenceMap::Changes {
 public:
  explicit Changes(const PresenceMap& map) : map_(map) {}
  void touch(std::uint32_t user_id) { before_.try_emplace(user_id, map_.online(user_id)); }
  std::vector<PresenceTransition> result() const {
    std::vector<PresenceTransition> out;
    for (const auto& [user_id, was_online] : before_) {
      const bool now_online = map_.online(user_id);
      if (now_online != was_online) out.push_back({user_id, now_online});
    }
    // Stable order for callers and tests.
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.user_id < b.user_id; });
    return out;
  }

 private:
  const PresenceMap& map_;
  std::unordered_map<std::uint32_t, bool> before_;
};

PresenceMap::PresenceMap(NodeIdentity self, std::chrono::milliseconds silence_limit)
    : self_(std::move(self)), silence_limit_(silence_limit) {}

void PresenceMap::list(std::uint32_t user_id, Changes& changes) {
  changes.touch(user_id);
  ++listed_by_[user_id];
}

void PresenceMap::unlist(std::uint32_t user_id, Changes& changes) {
  changes.touch(user_id);
  const auto it = listed_by_.find(user_id);
  if (it == listed_by_.end()) return;
  if (--it->second <= 0) listed_by_.erase(it);
}

std::vector<PresenceTransition> PresenceMap::set_local(std::uint32_t user_id, bool online) {
  Changes changes(*this);
  if (online) {
    if (local_.insert(user_id).second) list(user_id, changes);
  } else {
    if (local_.erase(user_id) > 0) unlist(user_id, changes);
  }
  return changes.result();
}

PresenceMap::Node* PresenceMap::accept(const NodeIdentity& node, std::uint64_t seq, Clock::time_point now,
                                       Changes& changes) {
  if (node.incarnation == self_.incarnation) return nullptr;  // our own message, echoed
  if (node.node_id == self_.node_id) return nullptr;           // an earlier process of this node: gone
  auto it = nodes_.find(node.node_id);
  if (it != nodes_.end() && it->second.incarnation != node.incarnation) {
    const Node& known = it->second;
    // The later start wins (ties broken by incarnation): a late message of a dead process
    // never brings its users back.
    const bool newer = std::pair(node.started_ms, node.incarnation) > std::pair(known.started_ms, known.incarnation);
    if (!newer) return nullptr;
    for (const std::uint32_t user_id : known.users) unlist(user_id, changes);
    nodes_.erase(it);
    it = nodes_.end();
  }
  if (it == nodes_.end()) {
    it = nodes_.emplace(node.node_id, Node{node.incarnation, node.started_ms, 0, now, {}}).first;
  } else if (seq <= it->second.seq) {
    return nullptr;  // older than what was applied (or repeated)
  }
  it->second.seq = seq;
  it->second.last_heard = now;
  return &it->second;
}

std::vector<PresenceTransition> PresenceMap::apply_delta(const NodeIdentity& node, std::uint64_t seq,
                                                         std::uint32_t user_id, bool online, Clock::time_point now) {
  Changes changes(*this);
  if (Node* entry = accept(node, seq, now, changes)) {
    if (online) {
      if (entry->users.insert(user_id).second) list(user_id, changes);
    } else {
      if (entry->users.erase(user_id) > 0) unlist(user_id, changes);
    }
  }
  return changes.result();
}

std::vector<PresenceTransition> PresenceMap::apply_heartbeat(const NodeIdentity& node, std::uint64_t seq,
                                                             const std::vector<std::uint32_t>& users,
                                                             Clock::time_point now) {
  Changes changes(*this);
  if (Node* entry = accept(node, seq, now, changes)) {
    std::unordered_set<std::uint32_t> now_listed(users.begin(), users.end());
    for (const std::uint32_t user_id : entry->users) {
      if (!now_listed.count(user_id)) unlist(user_id, changes);
    }
    for (const std::uint32_t user_id : now_listed) {
      if (!entry->users.count(user_id)) list(user_id, changes);
    }
    entry->users = std::move(now_listed);
  }
  return changes.result();
}

std::vector<PresenceTransition> PresenceMap::expire(Clock::time_point now) {
  Changes changes(*this);
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (now - it->second.last_heard > silence_limit_) {
      for (const std::uint32_t user_id : it->second.users) unlist(user_id, changes);
      it = nodes_.erase(it);
    } else {
      ++it;
    }
  }
  return changes.result();
}

}  // namespace occhat::cluster
