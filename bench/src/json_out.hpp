#pragma once
// The result line format shared with the peers' clients and bench/report.py:
//   {"bench": ..., "case": ..., "params": {...}, "metrics": {...}}   one line, on stdout.

#include <nlohmann/json.hpp>

#include <string>

namespace occhat::bench {

void emit_result(const std::string& bench, const std::string& test_case, const nlohmann::json& params,
                 const nlohmann::json& metrics);

// Rounds to `digits` decimals so the lines stay readable (units are in the metric names).
double round_to(double value, int digits);

}  // namespace occhat::bench
