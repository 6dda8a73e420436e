#include "router.hpp"

namespace occhat::server {

void Router::attach(std::uint32_t user_id, const std::shared_ptr<Session>& session) {
  auto [begin, end] = sessions_.equal_range(user_id);
  for (auto it = begin; it != end; ++it) {
    if (it->second == session) return;
  }
  sessions_.emplace(user_id, session);
}

void Router::detach(std::uint32_t user_id, const Session* session) {
  auto [begin, end] = sessions_.equal_range(user_id);
  for (auto it = begin; it != end; ++it) {
    if (it->second.get() == session) {
      sessions_.erase(it);
      return;
    }
  }
}

std::vector<std::shared_ptr<Session>> Router::sessions_of(std::uint32_t user_id) const {
  std::vector<std::shared_ptr<Session>> out;
  auto [begin, end] = sessions_.equal_range(user_id);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

bool Router::add_presence(std::uint32_t user_id) { return ++presence_[user_id] == 1; }

bool Router::remove_presence(std::uint32_t user_id) {
  const auto it = presence_.find(user_id);
  if (it == presence_.end()) return false;
  if (--it->second > 0) return false;
  presence_.erase(it);
  return true;
}

bool Router::online(std::uint32_t user_id) const { return presence_.count(user_id) > 0; }

}  // namespace occhat::server
