#pragma once
// Reading a server's --metrics-listen endpoint: for the integration tests and occhat-bench
// (library occhat_harness). Blocking; loopback only.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace occhat::harness {

class ServerProcess;

// Every sample of the Prometheus text at http://`address`/metrics ("HOST:PORT"), by its name
// with labels as written (`occhat_send_stage_seconds_count{stage="queue"}`). Throws
// std::runtime_error if the endpoint does not answer 200.
std::map<std::string, double> scrape_metrics(const std::string& address);

// The address of `server`'s metrics endpoint (started with --metrics-listen HOST:0), from its
// "metrics on HOST:PORT" log line; waits up to `timeout` for it, then throws std::runtime_error.
std::string metrics_address(const ServerProcess& server, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A histogram's cumulative buckets as (upper bound in seconds, count), +Inf last, from a scrape:
// the `name`_bucket samples with `labels` (e.g. `stage="queue"`; empty: none) besides le.
std::vector<std::pair<double, double>> histogram_buckets(const std::map<std::string, double>& samples,
                                                         const std::string& name, const std::string& labels = {});

}  // namespace occhat::harness
