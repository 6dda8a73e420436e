#pragma once
// Client message ids made by the SDK when the caller gives none.

#include <string>

namespace occhat::detail {

// 16 random bytes as 32 lowercase hex digits: unique per sender for all practical purposes, so
// a retried send is recognised by the server and never collides with another message.
std::string random_client_msg_id();

}  // namespace occhat::detail
