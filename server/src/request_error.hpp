#pragma once
// The error handlers throw: the dispatcher turns it into a wire `error` frame echoing the request
// id. The message is shown to the user, so it must never contain secrets or internal details.
//
// A thin subclass of occhat::Error (code, message, retry_after), not an alias: the dispatcher
// catches RequestError before store::StoreError (also an occhat::Error, whose internal messages
// it hides), so an alias would catch store failures first and show them.

#include "occhat/proto/error.hpp"

namespace occhat::server {

class RequestError : public occhat::Error {
 public:
  using Error::Error;
};

}  // namespace occhat::server
