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

// Marks a password hash imported from PyChat (scripts/import-pychat.py). PyChat stored the
// unsalted MD5 of each password; an import keeps no raw MD5 but this marker followed by a normal
// crypto_pwhash_str string computed over the lower-case MD5 hex of the password. The marker lives
// in the hash string itself, so the stores and their schema need not know about it.
inline constexpr std::string_view kLegacyMd5Marker = "legacy-md5+";

// True for a hash that must be replaced by a normal one after the next successful check: a legacy
// (marked) hash.
bool needs_rehash(std::string_view hash);

// Constant-time check of `password` against a crypto_pwhash_str string, or against a legacy hash
// (kLegacyMd5Marker + crypto_pwhash_str over the MD5 hex of the password).
bool verify_password(std::string_view hash, std::string_view password);

// A fresh token: 32 random bytes as 64 lower-case hex characters.
std::string new_token();

// SHA-256 of the token's 32 raw bytes, or nullopt if `token` is not 64 hex characters.
std::optional<store::TokenHash> token_hash(std::string_view token);

}  // namespace occhat::server
