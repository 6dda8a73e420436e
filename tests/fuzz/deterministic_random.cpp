#include "deterministic_random.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace occhat::fuzz {
namespace {

// The server draws random numbers from its store, crypto and file threads at once.
std::mutex g_mutex;
std::uint64_t g_state = 0;

// splitmix64: tiny, fast, and every seed gives a full-period sequence.
std::uint64_t next_locked() {
  std::uint64_t z = (g_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

const char* implementation_name() { return "occhat-fuzz-deterministic"; }

std::uint32_t random_word() {
  std::lock_guard lock(g_mutex);
  return static_cast<std::uint32_t>(next_locked() >> 32);
}

void stir() {}

void fill(void* const out, const std::size_t size) {
  std::lock_guard lock(g_mutex);
  auto* bytes = static_cast<unsigned char*>(out);
  for (std::size_t done = 0; done < size; done += sizeof(std::uint64_t)) {
    const std::uint64_t word = next_locked();
    std::memcpy(bytes + done, &word, std::min(sizeof word, size - done));
  }
}

int close_implementation() { return 0; }

randombytes_implementation g_implementation = {
    implementation_name, random_word, stir, nullptr /* uniform: derived from random_word */, fill,
    close_implementation};

}  // namespace

void install_deterministic_random() { randombytes_set_implementation(&g_implementation); }

void reset_deterministic_random(std::uint64_t seed) {
  std::lock_guard lock(g_mutex);
  g_state = seed;
}

}  // namespace occhat::fuzz
