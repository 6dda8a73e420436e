#pragma once
// Makes libsodium's random numbers a fixed sequence, so a fuzzed server hands out the same user
// ids, tokens and file names every time it starts from an empty data dir: the seed corpus can
// then log in with a token, and a crashing input replays the same way. Fuzzing only — never in
// a real server (the tokens would be guessable).

#include <cstdint>

namespace occhat::fuzz {

// Call before anything initialises libsodium (sodium_init); later calls are ignored by it.
void install_deterministic_random();
// Restarts the sequence (e.g. before a fresh server starts).
void reset_deterministic_random(std::uint64_t seed);

}  // namespace occhat::fuzz
