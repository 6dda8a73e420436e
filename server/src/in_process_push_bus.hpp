#pragma once
// The default PushBus: every connection is on this process. Network thread only (no locks).
// Pushes snapshot the recipients before calling them, so a sink may detach itself (or others)
// from inside a call.

#include <unordered_map>

#include "push_bus.hpp"

namespace occhat::server {

class InProcessPushBus final : public PushBus {
 public:
  explicit InProcessPushBus(PresenceListener presence_listener);

  void attach(const Attachment& attachment, std::shared_ptr<PushSink> sink) override;
  void detach(std::uint64_t connection_id) override;
  void publish_inbox_item(const store::InboxItem& item) override;
  void publish_presence(const PresenceChange& change) override;
  void revoke_token(std::uint32_t user_id, const store::TokenHash& token_hash, std::uint64_t except_connection,
                    std::string_view reason) override;
  void revoke_user(std::uint32_t user_id, const std::optional<store::TokenHash>& keep,
                   std::uint64_t except_connection, std::string_view reason) override;
  bool online(std::uint32_t user_id) const override;

  // Pushes `item` with its already encoded frame (an item committed on another node: only
  // user_id and seq of `item` are read).
  void deliver(const store::InboxItem& item, const SharedFrame& frame);
  // Every attached connection reads the store from where its pushes left off.
  void catch_up_all();

 private:
  struct Entry {
    Attachment attachment;
    std::shared_ptr<PushSink> sink;
  };
  std::vector<std::shared_ptr<PushSink>> sinks_of(std::uint32_t user_id) const;
  // The connections of `user_id` in `sinks` (cleared first): reuses its capacity, so an item
  // pushed to its user costs no allocation for the list.
  void collect_sinks(std::uint32_t user_id, std::vector<std::shared_ptr<PushSink>>& sinks) const;
  // Pushes `frame` (encoded on first use by `encode`) to every connection of item.user_id.
  template <class Encode>
  void push_item(const store::InboxItem& item, Encode encode);
  void count_presence(std::uint32_t user_id, int delta);

  std::unordered_map<std::uint64_t, Entry> connections_;
  std::unordered_multimap<std::uint32_t, std::uint64_t> connections_of_user_;
  std::unordered_map<std::uint32_t, int> announcing_;  // users with at least one
  PresenceListener presence_listener_;
  std::vector<std::shared_ptr<PushSink>> spare_sinks_;  // push_item's list, kept between items
};

}  // namespace occhat::server
