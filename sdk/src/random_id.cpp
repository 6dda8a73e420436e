#include "random_id.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace occhat::detail {

std::string random_client_msg_id() {
  // One generator per thread, seeded with 256 bits from the OS: no lock, and no system call per
  // message (a bot or a benchmark may send thousands per second).
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::array<std::uint32_t, 8> seed{};
    for (auto& word : seed) word = device();
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = generator();
    for (int i = 0; i < 16; ++i, bits >>= 4) id.push_back(kHex[bits & 0xF]);
  }
  return id;
}

}  // namespace occhat::detail
