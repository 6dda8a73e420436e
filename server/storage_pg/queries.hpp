#pragma once
// The SQL behind the PostgreSQL Store, one file per group as in server/storage/. Every function
// runs inside the transaction its caller (PgStore, one per Store call) opened. Contracts,
// including the StoreErrors thrown, are those of the matching Store methods in
// occhat/store/store.hpp.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "connection.hpp"
#include "occhat/store/store.hpp"

namespace occhat::store::pg {

std::int64_t now_seconds();
std::int64_t now_ms();

// user_queries.cpp
bool create_user(Connection& conn, std::uint32_t id, std::string_view email, std::string_view nick,
                 std::string_view password_hash);
std::uint64_t user_count(Connection& conn);
std::optional<User> find_user(Connection& conn, std::uint32_t id);
std::optional<std::string> password_hash(Connection& conn, std::uint32_t id);
void create_session(Connection& conn, std::uint32_t user_id, const TokenHash& token_hash);
std::optional<std::uint32_t> user_for_session(Connection& conn, const TokenHash& token_hash);
bool delete_session(Connection& conn, const TokenHash& token_hash);

}  // namespace occhat::store::pg
