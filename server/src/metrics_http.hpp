#pragma once
// --metrics-listen HOST:PORT: an HTTP endpoint (cpp-httplib, on a thread of its own) that serves
// exactly two paths: GET /metrics, the Prometheus text format, and GET /healthz, "200 OK" once the
// store is open (this server is only started after it opened). Anything else is a 404. The
// values are read on the network thread (and the store's backlog on the store thread), so the
// HTTP thread never touches server state directly.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace occhat::server {

class MetricsHttp {
 public:
  // The metrics text, or nullopt when the server cannot answer in time (shutting down).
  using Render = std::function<std::optional<std::string>()>;

  // Binds HOST:PORT (port 0: a free one) and serves on a new thread. Throws std::runtime_error
  // naming the address when it cannot bind.
  MetricsHttp(const std::string& host, std::uint16_t port, Render render);
  ~MetricsHttp();  // stops serving and joins the thread
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // "HOST:PORT" actually bound.
  std::string address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace occhat::server
