#pragma once
// Password hashing and session tokens (libsodium). These calls block: password hashing costs
// ~64 MiB and tens of milliseconds by design, so callers run them on the crypto thread pool,
// never on the network thread.

#include <optional>
#include <string>
#include <string_view>

#include "occhat/store/store.hpp"

namespace occhat::server {

// Initialises libsodium; call once before any other function here. Throws on failure.
void init_crypto();

// argon2id via crypto_pwhash_str with the INTERACTIVE limits. Throws RequestError(internal)
// when the hash cannot be computed (out of memory).
std::string hash_password(std::string_view password);

// Constant-time check of `password` against a crypto_pwhash_str string.
bool verify_password(std::string_view hash, std::string_view password);

// A fresh token: 32 random bytes as 64 lower-case hex characters.
std::string new_token();

// SHA-256 of the token's 32 raw bytes, or nullopt if `token` is not 64 hex characters.
std::optional<store::TokenHash> token_hash(std::string_view token);

}  // namespace occhat::server
