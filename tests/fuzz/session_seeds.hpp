#pragma once
// The seed corpus of the server-session fuzz target: short conversations, each the raw bytes a
// client writes on one connection (frames back to back, not waiting for answers), covering every
// request type as a stranger, as alice (friends with bob) and as bob, plus malformed streams.
// Regenerate after a change that alters the accounts' ids or tokens:
//   OCCHAT_FUZZ_WRITE_SEEDS=tests/fuzz/corpus/server_session build/tests/fuzz/fuzz_server_session_replay

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "session_harness.hpp"

namespace occhat::fuzz {

// (file name, bytes) for each seed.
std::vector<std::pair<std::string, std::string>> session_seeds(const Accounts& accounts);

// Writes every seed into `dir` (created if missing). Throws std::runtime_error on I/O failure.
void write_session_seeds(const Accounts& accounts, const std::filesystem::path& dir);

}  // namespace occhat::fuzz
