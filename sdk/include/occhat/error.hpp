#pragma once
// occhat::Error — the one exception type of the SDK: a stable code plus a human message (and
// retry_after() with ErrorCode::rate_limited). Defined in occhat::proto, shared with the server.

#include "occhat/proto/error.hpp"
