#pragma once
// The reason of the most recent OpenSSL error, for messages about certificates and keys (the
// server's and the SDK's TLS set-up both report through it). Lives here because proto is the
// library both link that already uses OpenSSL (sha256).

#include <string>

namespace occhat::proto {

// Takes the first queued error (the cause, e.g. "no start line"; later ones only name the
// caller, e.g. "PEM lib") and clears the queue. "unknown error" when nothing is queued.
std::string openssl_reason();

}  // namespace occhat::proto
