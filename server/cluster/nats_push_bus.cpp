#include "nats_push_bus.hpp"

#include <asio/error.hpp>

#include <algorithm>
#include <optional>

#include "log.hpp"
#include "occhat/proto/cluster.pb.h"
#include "wire_convert.hpp"

namespace occhat::cluster {
namespace {

using server::log_event;

constexpr const char* kPushSubject = "occhat.push";
constexpr const char* kRevokeSubject = "occhat.revoke";
constexpr const char* kPresenceSubject = "occhat.presence";
constexpr const char* kNodeSubject = "occhat.node";
// The clock ticks this often: expiry is checked every tick, a heartbeat goes out every other.
constexpr std::chrono::seconds kTick{1};

store::TokenHash token_from(const std::string& bytes) {
  store::TokenHash hash{};
  std::copy_n(bytes.begin(), std::min(bytes.size(), hash.size()), hash.begin());
  return hash;
}

std::string bytes_of(const store::TokenHash& hash) { return std::string(hash.begin(), hash.end()); }

NodeIdentity identity_of(const NodeHeader& header) {
  return NodeIdentity{header.node_id(), header.incarnation(), header.started_ms()};
}

// Parses one bus message of `subject`; an unreadable one is logged and ignored (nullopt).
template <typename Message>
std::optional<Message> parse(std::string_view body, const char* subject) {
  Message message;
  if (message.ParseFromArray(body.data(), static_cast<int>(body.size()))) return message;
  log_event("bus: an unreadable message on {} ignored", subject);
  return std::nullopt;
}

}  // namespace

NatsPushBus::NatsPushBus(asio::any_io_executor network, NatsLink& link, NodeIdentity self,
                         server::PresenceListener cluster_listener, server::PresenceListener local_listener)
    : network_(network),
      link_(link),
      self_(std::move(self)),
      cluster_listener_(std::move(cluster_listener)),
      local_listener_(std::move(local_listener)),
      local_([this](std::uint32_t user_id, bool online) { local_presence(user_id, online); }),
      presence_(self_, kSilenceLimit),
      timer_(network) {}

void NatsPushBus::start() {
  link_.subscribe(kPushSubject, [this](std::string_view body) { on_push(body); });
  link_.subscribe(kRevokeSubject, [this](std::string_view body) { on_revoke(body); });
  link_.subscribe(kPresenceSubject, [this](std::string_view body) { on_presence_delta(body); });
  link_.subscribe(kNodeSubject, [this](std::string_view body) { on_heartbeat(body); });
  link_.add_events(NatsLink::Events{
      .disconnected = [this] { log_event("bus: lost the connection to NATS at {}; reconnecting", link_.url()); },
      .reconnected =
          [this] {
            log_event("bus: reconnected to NATS at {}", link_.url());
            send_heartbeat();  // the others may have dropped us meanwhile
            catch_up_everyone("NATS reconnected");
          },
      .message_lost = [this] { catch_up_everyone("bus messages were dropped (slow consumer)"); },
  });
  send_heartbeat();
  tick();
}

void NatsPushBus::stop() {
  stopped_ = true;
  timer_.cancel();
}

void NatsPushBus::tick() {
  if (stopped_) return;
  if (++ticks_ % 2 == 0) send_heartbeat();
  const std::size_t before = presence_.live_nodes();
  announce(presence_.expire(PresenceMap::Clock::now()));
  if (presence_.live_nodes() != before) {
    log_event("bus: {} node(s) silent for {} s dropped; {} node(s) live", before - presence_.live_nodes(),
              kSilenceLimit.count(), presence_.live_nodes());
  }
  timer_.expires_after(kTick);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) tick();
  });
}

void NatsPushBus::catch_up_everyone(std::string_view why) {
  log_event("bus: {}: every connection reads its inbox from the store", why);
  local_.catch_up_all();
}

void NatsPushBus::announce(const std::vector<PresenceTransition>& transitions) {
  for (const auto& t : transitions) {
    if (cluster_listener_) cluster_listener_(t.user_id, t.online);
  }
}

// ---- this node's own connections ----

void NatsPushBus::attach(const server::Attachment& attachment, std::shared_ptr<server::PushSink> sink) {
  local_.attach(attachment, std::move(sink));
}

void NatsPushBus::detach(std::uint64_t connection_id) { local_.detach(connection_id); }

void NatsPushBus::local_presence(std::uint32_t user_id, bool online) {
  if (local_listener_) local_listener_(user_id, online);
  PresenceDelta delta;
  stamp(*delta.mutable_node());
  delta.set_user_id(user_id);
  delta.set_online(online);
  link_.publish(kPresenceSubject, delta.SerializeAsString());
  announce(presence_.set_local(user_id, online));
}

void NatsPushBus::stamp(NodeHeader& header) {
  header.set_incarnation(self_.incarnation);
  header.set_node_id(self_.node_id);
  header.set_seq(++presence_seq_);
  header.set_started_ms(self_.started_ms);
}

void NatsPushBus::send_heartbeat() {
  Heartbeat heartbeat;
  stamp(*heartbeat.mutable_node());
  for (const std::uint32_t user_id : presence_.local_users()) heartbeat.add_online_users(user_id);
  link_.publish(kNodeSubject, heartbeat.SerializeAsString());
}

void NatsPushBus::publish_inbox_item(const store::InboxItem& item) {
  wire::Envelope body;
  server::fill_inbox_item(*body.mutable_inbox_items()->add_items(), item);
  const server::SharedFrame frame = server::encode_push(body);
  if (!frame) return;  // cannot happen for one item; the store still has it
  local_.deliver(item, frame);
  BusPush push;
  push.set_incarnation(self_.incarnation);
  PushedInboxItem* pushed = push.mutable_item();
  pushed->set_user_id(item.user_id);
  pushed->set_seq(item.seq);
  pushed->set_frame(*frame);
  link_.publish(kPushSubject, push.SerializeAsString());
}

void NatsPushBus::publish_presence(const server::PresenceChange& change) { local_.publish_presence(change); }

void NatsPushBus::share_presence(const server::PresenceChange& change) {
  local_.publish_presence(change);
  BusPush push;
  push.set_incarnation(self_.incarnation);
  SharedPresence* shared = push.mutable_presence();
  shared->set_user_id(change.user_id);
  shared->set_nick(change.nick);
  shared->set_online(change.online);
  for (const std::uint32_t observer : change.observers) shared->add_observers(observer);
  link_.publish(kPushSubject, push.SerializeAsString());
}

void NatsPushBus::revoke_token(std::uint32_t user_id, const store::TokenHash& token_hash,
                               std::uint64_t except_connection, std::string_view reason) {
  local_.revoke_token(user_id, token_hash, except_connection, reason);
  Revocation revocation;
  revocation.set_incarnation(self_.incarnation);
  revocation.set_user_id(user_id);
  revocation.set_token_hash(bytes_of(token_hash));
  revocation.set_reason(std::string(reason));
  link_.publish(kRevokeSubject, revocation.SerializeAsString());
}

void NatsPushBus::revoke_user(std::uint32_t user_id, const std::optional<store::TokenHash>& keep,
                              std::uint64_t except_connection, std::string_view reason) {
  local_.revoke_user(user_id, keep, except_connection, reason);
  Revocation revocation;
  revocation.set_incarnation(self_.incarnation);
  revocation.set_user_id(user_id);
  revocation.set_whole_user(true);
  if (keep) revocation.set_keep(bytes_of(*keep));
  revocation.set_reason(std::string(reason));
  link_.publish(kRevokeSubject, revocation.SerializeAsString());
}

bool NatsPushBus::online(std::uint32_t user_id) const { return presence_.online(user_id); }

// ---- what the other nodes say ----

void NatsPushBus::on_push(std::string_view body) {
  const auto parsed = parse<BusPush>(body, kPushSubject);
  if (!parsed) return;
  const BusPush& push = *parsed;
  if (push.incarnation() == self_.incarnation) return;
  if (push.has_item()) {
    // The frame is forwarded as the sender encoded it; subscriptions read only user and seq.
    store::InboxItem item;
    item.user_id = push.item().user_id();
    item.seq = push.item().seq();
    local_.deliver(item, std::make_shared<const std::string>(push.item().frame()));
  } else if (push.has_presence()) {
    const SharedPresence& shared = push.presence();
    server::PresenceChange change;
    change.user_id = shared.user_id();
    change.nick = shared.nick();
    change.online = shared.online();
    change.observers.assign(shared.observers().begin(), shared.observers().end());
    local_.publish_presence(change);
  }
}

void NatsPushBus::on_revoke(std::string_view body) {
  const auto parsed = parse<Revocation>(body, kRevokeSubject);
  if (!parsed) return;
  const Revocation& revocation = *parsed;
  if (revocation.incarnation() == self_.incarnation) return;
  if (revocation.whole_user()) {
    std::optional<store::TokenHash> keep;
    if (!revocation.keep().empty()) keep = token_from(revocation.keep());
    local_.revoke_user(revocation.user_id(), keep, 0, revocation.reason());
  } else {
    local_.revoke_token(revocation.user_id(), token_from(revocation.token_hash()), 0, revocation.reason());
  }
}

void NatsPushBus::on_presence_delta(std::string_view body) {
  const auto parsed = parse<PresenceDelta>(body, kPresenceSubject);
  if (!parsed) return;
  const PresenceDelta& delta = *parsed;
  announce(presence_.apply_delta(identity_of(delta.node()), delta.node().seq(), delta.user_id(), delta.online(),
                                 PresenceMap::Clock::now()));
}

void NatsPushBus::on_heartbeat(std::string_view body) {
  const auto parsed = parse<Heartbeat>(body, kNodeSubject);
  if (!parsed) return;
  const Heartbeat& heartbeat = *parsed;
  if (heartbeat.node().node_id() == self_.node_id && heartbeat.node().incarnation() != self_.incarnation &&
      ++foreign_heartbeats_ == 2) {
    // One stray heartbeat is our dead predecessor's last; more are a live process with our name,
    // whose users this node cannot see (and the other way round).
    log_event("bus: another running node uses --node-id {}: give every node its own", server::sanitize(self_.node_id));
  }
  const std::size_t before = presence_.live_nodes();
  const std::vector<std::uint32_t> users(heartbeat.online_users().begin(), heartbeat.online_users().end());
  announce(presence_.apply_heartbeat(identity_of(heartbeat.node()), heartbeat.node().seq(), users,
                                     PresenceMap::Clock::now()));
  if (presence_.live_nodes() != before) {
    log_event("bus: node {} joined; {} node(s) live", server::sanitize(heartbeat.node().node_id()),
              presence_.live_nodes());
  }
}

}  // namespace occhat::cluster
