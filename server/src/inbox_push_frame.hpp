#pragma once
// The push frame of one committed inbox item, as sent to every connection of its user.
//
// A 1:1 message (the recipient's item or the sender's carbon) is by far the most common push:
// it is written straight from the store record into the frame's bytes, the same bytes
// libprotobuf would produce, without building and tearing down an Envelope (a dozen allocations
// and string copies per item on the network thread). Every other kind goes through the
// generated code.

#include "occhat/store/store.hpp"
#include "push_bus.hpp"

namespace occhat::server {

// `item` as an `inbox_items` push frame (request id 0) holding just this item; null when it
// cannot be encoded (over the frame cap).
SharedFrame encode_inbox_item_push(const store::InboxItem& item);

}  // namespace occhat::server
