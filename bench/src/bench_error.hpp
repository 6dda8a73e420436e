#pragma once
// The one exception type of occhat-bench: main() prints what() as a single line and exits 1.

#include <stdexcept>
#include <string>

namespace occhat::bench {

class BenchError : public std::runtime_error {
 public:
  explicit BenchError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace occhat::bench
