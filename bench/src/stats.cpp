#include "stats.hpp"

#include <algorithm>
#include <cmath>

namespace occhat::bench {

Percentiles percentiles(std::vector<std::int64_t>& samples_ns) {
  Percentiles p;
  p.count = samples_ns.size();
  if (samples_ns.empty()) return p;
  std::sort(samples_ns.begin(), samples_ns.end());
  const auto rank = [&](double q) {
    const auto n = samples_ns.size();
    auto index = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
    index = std::clamp<std::size_t>(index, 1, n) - 1;
    return static_cast<double>(samples_ns[index]) / 1000.0;
  };
  p.p50_us = rank(0.50);
  p.p99_us = rank(0.99);
  p.p999_us = rank(0.999);
  p.max_us = static_cast<double>(samples_ns.back()) / 1000.0;
  return p;
}

}  // namespace occhat::bench
