#include "json_out.hpp"

#include <cmath>
#include <cstdio>

namespace occhat::bench {

void emit_result(const std::string& bench, const std::string& test_case, const nlohmann::json& params,
                 const nlohmann::json& metrics) {
  nlohmann::json line;
  line["bench"] = bench;
  line["case"] = test_case;
  line["params"] = params;
  line["metrics"] = metrics;
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

double round_to(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

}  // namespace occhat::bench
