#pragma once
// Where a relayed message's time goes inside occhat-server: its occhat_send_stage_seconds
// histograms (README "Metrics"), scraped from each server's --metrics-listen endpoint at the
// measured window's start and end; the difference is the window's sends alone.

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace occhat::bench {

class ServerStages {
 public:
  // `addresses`: every server's metrics endpoint (HOST:PORT).
  explicit ServerStages(std::vector<std::string> addresses) : addresses_(std::move(addresses)) {}

  // Scrapes every server now. A failed scrape (an older server without the metric) leaves the
  // figures out, with a note on stderr: the benchmark itself goes on.
  void scrape_start() { start_ = scrape(); }
  void scrape_end() { end_ = scrape(); }

  // {"queue": {"count": N, "mean_us": .., "p50_us": .., "p99_us": .., "p999_us": ..}, ...} over the
  // window (percentiles interpolated within the histogram's buckets); empty if a scrape failed.
  nlohmann::json json() const;

 private:
  struct Histogram {
    std::vector<std::pair<double, double>> buckets;  // (upper bound s, cumulative count), +Inf last
    double sum_s = 0;
    double count = 0;
  };
  using Stages = std::map<std::string, Histogram>;
  std::optional<Stages> scrape() const;

  std::vector<std::string> addresses_;
  std::optional<Stages> start_, end_;
};

// The q-quantile (0..1) of a cumulative histogram, interpolated linearly within its bucket (as
// Prometheus' histogram_quantile); in the +Inf bucket, the last finite bound. 0 if empty.
double histogram_quantile(const std::vector<std::pair<double, double>>& buckets, double q);

}  // namespace occhat::bench
