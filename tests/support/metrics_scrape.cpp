#include "metrics_scrape.hpp"

#include <httplib.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <thread>

#include "server_process.hpp"

namespace occhat::harness {

std::map<std::string, double> scrape_metrics(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("not HOST:PORT: " + address);
  httplib::Client client(address.substr(0, colon), std::stoi(address.substr(colon + 1)));
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(10));
  const auto response = client.Get("/metrics");
  if (!response || response->status != 200) {
    throw std::runtime_error("GET http://" + address + "/metrics failed" +
                             (response ? ": status " + std::to_string(response->status) : std::string()));
  }
  std::map<std::string, double> samples;
  std::size_t at = 0;
  const std::string& text = response->body;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

std::string metrics_address(const ServerProcess& server, std::chrono::milliseconds timeout) {
  const std::string marker = "metrics on ";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string log = server.log();
    if (const auto at = log.find(marker); at != std::string::npos) {
      const auto start = at + marker.size();
      const auto end = log.find_first_of(" \r\n", start);
      return log.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("the server logged no \"metrics on\" line (started without --metrics-listen?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<std::pair<double, double>> histogram_buckets(const std::map<std::string, double>& samples,
                                                         const std::string& name, const std::string& labels) {
  const std::string prefix = name + "_bucket{" + (labels.empty() ? std::string() : labels + ",") + "le=\"";
  std::vector<std::pair<double, double>> buckets;
  for (auto it = samples.lower_bound(prefix); it != samples.end() && it->first.starts_with(prefix); ++it) {
    const std::string bound = it->first.substr(prefix.size(), it->first.size() - prefix.size() - 2);  // less "}
    buckets.emplace_back(bound == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(bound), it->second);
  }
  std::sort(buckets.begin(), buckets.end());
  return buckets;
}

}  // namespace occhat::harness
