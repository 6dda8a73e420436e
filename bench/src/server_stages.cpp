#include "server_stages.hpp"

#include <cmath>
#include <cstdio>
#include <exception>
#include <optional>

#include "json_out.hpp"
#include "metrics_scrape.hpp"

namespace occhat::bench {
namespace {

// The server's stages of a 1:1 send, in order (README "Metrics", occhat_send_stage_seconds).
constexpr const char* kStages[] = {"dispatch", "queue", "job", "commit", "resume", "push", "write", "total"};
constexpr const char* kMetric = "occhat_send_stage_seconds";

}  // namespace

double histogram_quantile(const std::vector<std::pair<double, double>>& buckets, double q) {
  if (buckets.empty() || buckets.back().second <= 0) return 0;
  const double rank = q * buckets.back().second;
  double lower = 0, below = 0;
  for (const auto& [bound, cumulative] : buckets) {
    if (cumulative >= rank && cumulative > below) {
      if (std::isinf(bound)) return lower;
      return lower + (bound - lower) * (rank - below) / (cumulative - below);
    }
    lower = std::isinf(bound) ? lower : bound;
    below = cumulative;
  }
  return lower;
}

std::optional<ServerStages::Stages> ServerStages::scrape() const {
  try {
    Stages stages;
    for (const auto& address : addresses_) {
      const auto samples = harness::scrape_metrics(address);
      for (const char* stage : kStages) {
        const std::string labels = std::string("stage=\"") + stage + "\"";
        const auto buckets = harness::histogram_buckets(samples, kMetric, labels);
        const auto count = samples.find(std::string(kMetric) + "_count{" + labels + "}");
        const auto sum = samples.find(std::string(kMetric) + "_sum{" + labels + "}");
        if (buckets.empty() || count == samples.end() || sum == samples.end()) {
          throw std::runtime_error(std::string("no ") + kMetric + " for stage " + stage);
        }
        // Summed over the nodes (they share the bucket bounds).
        Histogram& h = stages[stage];
        if (h.buckets.empty()) h.buckets.assign(buckets.size(), {0, 0});
        if (h.buckets.size() != buckets.size()) throw std::runtime_error("the nodes' buckets differ");
        for (std::size_t i = 0; i < buckets.size(); ++i) {
          h.buckets[i].first = buckets[i].first;
          h.buckets[i].second += buckets[i].second;
        }
        h.sum_s += sum->second;
        h.count += count->second;
      }
    }
    return stages;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "relay: no server stage figures: %s\n", e.what());
    return std::nullopt;
  }
}

nlohmann::json ServerStages::json() const {
  nlohmann::json out = nlohmann::json::object();
  if (!start_ || !end_) return out;
  for (const char* stage : kStages) {
    const Histogram& a = start_->at(stage);
    const Histogram& b = end_->at(stage);
    auto window = b.buckets;
    for (std::size_t i = 0; i < window.size() && i < a.buckets.size(); ++i) window[i].second -= a.buckets[i].second;
    const double count = b.count - a.count;
    if (count <= 0) continue;
    out[stage] = {{"count", static_cast<std::uint64_t>(count)},
                  {"mean_us", round_to((b.sum_s - a.sum_s) / count * 1e6, 1)},
                  {"p50_us", round_to(histogram_quantile(window, 0.50) * 1e6, 1)},
                  {"p99_us", round_to(histogram_quantile(window, 0.99) * 1e6, 1)},
                  {"p999_us", round_to(histogram_quantile(window, 0.999) * 1e6, 1)}};
  }
  return out;
}

}  // namespace occhat::bench
