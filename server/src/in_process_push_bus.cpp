#include "in_process_push_bus.hpp"

#include <algorithm>

#include "wire_convert.hpp"

namespace occhat::server {

InProcessPushBus::InProcessPushBus(PresenceListener presence_listener)
    : presence_listener_(std::move(presence_listener)) {}

void InProcessPushBus::attach(const Attachment& attachment, std::shared_ptr<PushSink> sink) {
  const auto it = connections_.find(attachment.connection_id);
  if (it != connections_.end() && it->second.attachment.user_id != attachment.user_id) {
    detach(attachment.connection_id);  // logged in again as someone else
    attach(attachment, std::move(sink));
    return;
  }
  if (it == connections_.end()) {
    connections_.emplace(attachment.connection_id, Entry{attachment, std::move(sink)});
    connections_of_user_.emplace(attachment.user_id, attachment.connection_id);
    if (attachment.announces_presence) count_presence(attachment.user_id, +1);
    return;
  }
  // Logged in again as the same user: presence changes only if the announce flag did.
  const bool was_announcing = it->second.attachment.announces_presence;
  it->second = Entry{attachment, std::move(sink)};
  if (attachment.announces_presence != was_announcing) {
    count_presence(attachment.user_id, attachment.announces_presence ? +1 : -1);
  }
}

void InProcessPushBus::detach(std::uint64_t connection_id) {
  const auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;
  const Attachment attachment = it->second.attachment;
  connections_.erase(it);
  auto [begin, end] = connections_of_user_.equal_range(attachment.user_id);
  for (auto user_it = begin; user_it != end; ++user_it) {
    if (user_it->second == connection_id) {
      connections_of_user_.erase(user_it);
      break;
    }
  }
  if (attachment.announces_presence) count_presence(attachment.user_id, -1);
}

void InProcessPushBus::count_presence(std::uint32_t user_id, int delta) {
  int& count = announcing_[user_id];
  const bool was_online = count > 0;
  count = std::max(0, count + delta);
  const bool now_online = count > 0;
  if (!now_online) announcing_.erase(user_id);
  if (was_online != now_online && presence_listener_) presence_listener_(user_id, now_online);
}

std::vector<std::shared_ptr<PushSink>> InProcessPushBus::sinks_of(std::uint32_t user_id) const {
  std::vector<std::shared_ptr<PushSink>> sinks;
  collect_sinks(user_id, sinks);
  return sinks;
}

void InProcessPushBus::collect_sinks(std::uint32_t user_id, std::vector<std::shared_ptr<PushSink>>& sinks) const {
  sinks.clear();
  auto [begin, end] = connections_of_user_.equal_range(user_id);
  for (auto it = begin; it != end; ++it) sinks.push_back(connections_.at(it->second).sink);
}

template <class Encode>
void InProcessPushBus::push_item(const store::InboxItem& item, Encode encode) {
  // Taken out of the member while the sinks run: a sink that publishes again (none does today)
  // gets a list of its own instead of clobbering this one.
  auto sinks = std::move(spare_sinks_);
  collect_sinks(item.user_id, sinks);
  if (!sinks.empty()) {
    // Null cannot happen for one item; the store still has it.
    if (const SharedFrame frame = encode()) {
      for (const auto& sink : sinks) sink->push_inbox_item(item, frame);
    }
  }
  sinks.clear();
  spare_sinks_ = std::move(sinks);
}

void InProcessPushBus::publish_inbox_item(const store::InboxItem& item) {
  push_item(item, [&item] {
    wire::Envelope body;
    fill_inbox_item(*body.mutable_inbox_items()->add_items(), item);
    return encode_push(body);
  });
}

void InProcessPushBus::deliver(const store::InboxItem& item, const SharedFrame& frame) {
  push_item(item, [&frame] { return frame; });
}

void InProcessPushBus::catch_up_all() {
  std::vector<std::shared_ptr<PushSink>> sinks;
  sinks.reserve(connections_.size());
  for (const auto& [id, entry] : connections_) sinks.push_back(entry.sink);
  for (const auto& sink : sinks) sink->catch_up();
}

void InProcessPushBus::publish_presence(const PresenceChange& change) {
  wire::Envelope body;
  auto* event = body.mutable_presence_event();
  event->set_user_id(change.user_id);
  event->set_online(change.online);
  event->set_nick(change.nick);
  SharedFrame frame;  // encoded on first use: most observers are usually offline
  for (const std::uint32_t observer : change.observers) {
    if (observer == change.user_id) continue;
    for (const auto& sink : sinks_of(observer)) {
      if (!frame) frame = encode_push(body);
      if (!frame) return;
      sink->push_presence(*event, frame);
    }
  }
}

void InProcessPushBus::revoke_token(std::uint32_t user_id, const store::TokenHash& token_hash,
                                    std::uint64_t except_connection, std::string_view reason) {
  std::vector<std::shared_ptr<PushSink>> revoked;
  auto [begin, end] = connections_of_user_.equal_range(user_id);
  for (auto it = begin; it != end; ++it) {
    const Entry& entry = connections_.at(it->second);
    if (it->second != except_connection && entry.attachment.token_hash == token_hash) revoked.push_back(entry.sink);
  }
  for (const auto& sink : revoked) sink->token_revoked(reason);
}

void InProcessPushBus::revoke_user(std::uint32_t user_id, const std::optional<store::TokenHash>& keep,
                                   std::uint64_t except_connection, std::string_view reason) {
  std::vector<std::shared_ptr<PushSink>> revoked;
  auto [begin, end] = connections_of_user_.equal_range(user_id);
  for (auto it = begin; it != end; ++it) {
    const Entry& entry = connections_.at(it->second);
    if (it->second != except_connection && entry.attachment.token_hash != keep) revoked.push_back(entry.sink);
  }
  for (const auto& sink : revoked) sink->token_revoked(reason);
}

bool InProcessPushBus::online(std::uint32_t user_id) const { return announcing_.count(user_id) > 0; }

}  // namespace occhat::server
