#pragma once
// The protocol-visible limits (docs/PROTOCOL.md), in one place for the server that enforces them
// and the SDK, CLI and bench that stay within them or name them in messages. Frame sizes are in
// frame.hpp (kMaxControlPayload, kMaxBulkPayload). Server-internal tuning (queue depths, rates,
// timeouts) stays with the server.

#include <cstddef>
#include <cstdint>

namespace occhat::proto {

// Accounts.
inline constexpr std::size_t kMinEmailBytes = 3;
inline constexpr std::size_t kMaxEmailBytes = 254;
inline constexpr std::size_t kMaxNickChars = 32;  // Unicode code points
inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// Messages.
inline constexpr std::size_t kMaxTextBytes = 8192;
// Tokens of earlier sessions one login may revoke (LoginRequest.revoke_tokens).
inline constexpr std::size_t kMaxRevokeTokens = 16;
// Users one find-by-nick answers with, at most.
inline constexpr std::uint32_t kMaxFindUsersResults = 20;
inline constexpr std::size_t kMaxClientMsgIdBytes = 64;
inline constexpr std::uint32_t kDefaultHistoryLimit = 50;
inline constexpr std::uint32_t kMaxHistoryLimit = 500;
// fetch_inbox: limit 1..1000; 0 on the wire means the maximum.
inline constexpr std::uint32_t kMaxInboxFetchLimit = 1000;

// Files.
inline constexpr std::uint32_t kFileChunkSize = 1024 * 1024;  // the most one chunk carries
inline constexpr std::size_t kMaxFileNameBytes = 255;         // a stored (cleaned) file name

}  // namespace occhat::proto
