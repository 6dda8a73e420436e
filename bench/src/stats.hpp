#pragma once
// Latency percentiles over recorded samples (nanoseconds).

#include <cstdint>
#include <vector>

namespace occhat::bench {

struct Percentiles {
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  std::size_t count = 0;
};

// Sorts `samples_ns` in place; nearest-rank percentiles. All zero for an empty set.
Percentiles percentiles(std::vector<std::int64_t>& samples_ns);

}  // namespace occhat::bench
