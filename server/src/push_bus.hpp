#pragma once
// The one path of every server push: inbox items, presence changes and token revocations reach
// the connections they concern through a PushBus. Nothing outside the bus knows whether a
// recipient is connected to this node: the in-process bus (in_process_push_bus.hpp) is the
// default, a message bus between nodes can implement the same calls.
//
// A push is a hint, the store is the truth: a connection that cannot take a pushed item (its
// queue is full, or the item is not the next it expects) reads the store from where it left off.
//
// Frames are encoded once and their bytes shared by every recipient connection: one message
// to a room fans out to many connections without one copy each.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "occhat/proto/frame.hpp"
#include "occhat/store/store.hpp"

namespace occhat::server {

// An encoded frame, immutable and shared by every queue it was pushed to.
using SharedFrame = std::shared_ptr<const std::string>;

// `body` as a push frame (request id 0); null when it cannot be encoded (over the cap).
SharedFrame encode_push(const wire::Envelope& body);

// The receiving end of one logged-in connection. Called on the network thread.
class PushSink {
 public:
  virtual ~PushSink() = default;
  // A committed item of the connection's user; `frame` carries exactly this item.
  virtual void push_inbox_item(const store::InboxItem& item, const SharedFrame& frame) = 0;
  // A friend's presence changed; `frame` carries exactly `event`.
  virtual void push_presence(const wire::PresenceEvent& event, const SharedFrame& frame) = 0;
  // The token this connection logged in with was revoked (logged out elsewhere, password
  // changed, account deleted): `reason` says which, for the client.
  virtual void token_revoked(std::string_view reason) = 0;
  // Pushes may have been lost on the way (a cluster bus reconnected): read the store from
  // where the pushes left off, once.
  virtual void catch_up() = 0;
};

// One logged-in connection as the bus knows it.
struct Attachment {
  std::uint64_t connection_id = 0;
  std::uint32_t user_id = 0;
  store::TokenHash token_hash{};
  bool announces_presence = false;  // counts towards the user being online
};

// A user came online or went offline, for the given observers (their friends).
struct PresenceChange {
  std::uint32_t user_id = 0;
  std::string nick;
  bool online = false;
  std::vector<std::uint32_t> observers;  // the user itself is never told
};

// Told when a user's count of presence-announcing connections crosses zero: the user came
// online (true) or went offline (false). Whoever listens finds the friends and publishes.
using PresenceListener = std::function<void(std::uint32_t user_id, bool online)>;

class PushBus {
 public:
  virtual ~PushBus() = default;

  // Registers (or updates: a second login on the same connection) `sink` as the connection
  // `attachment.connection_id`. The bus holds `sink` until detach().
  virtual void attach(const Attachment& attachment, std::shared_ptr<PushSink> sink) = 0;
  // Forgets the connection (no-op if it is not attached).
  virtual void detach(std::uint64_t connection_id) = 0;

  // Pushes a committed inbox item to every connection of its user.
  virtual void publish_inbox_item(const store::InboxItem& item) = 0;
  // Pushes a presence change to every connection of each observer.
  virtual void publish_presence(const PresenceChange& change) = 0;
  // The same for a change only this node knows of (two users just became friends), so the
  // observers' connections on other nodes get it too. publish_presence() is enough for the
  // changes the presence listener reports: in a cluster every node hears those itself.
  virtual void share_presence(const PresenceChange& change) { publish_presence(change); }
  // Every connection of `user_id` logged in with `token_hash`, except `except_connection`,
  // loses its login.
  virtual void revoke_token(std::uint32_t user_id, const store::TokenHash& token_hash,
                            std::uint64_t except_connection, std::string_view reason) = 0;
  // Every connection of `user_id`, except `except_connection` and those logged in with `keep`,
  // loses its login.
  virtual void revoke_user(std::uint32_t user_id, const std::optional<store::TokenHash>& keep,
                           std::uint64_t except_connection, std::string_view reason) = 0;

  // At least one presence-announcing connection of the user is attached.
  virtual bool online(std::uint32_t user_id) const = 0;
};

}  // namespace occhat::server
