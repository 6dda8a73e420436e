#include "metrics_http.hpp"

#include <httplib.h>

#include <fmt/format.h>

#include <stdexcept>
#include <thread>

namespace occhat::server {

struct MetricsHttp::Impl {
  httplib::Server http;
  std::string host;
  int port = 0;
  std::thread thread;
};

MetricsHttp::MetricsHttp(const std::string& host, std::uint16_t port, Render render) : impl_(std::make_unique<Impl>()) {
  auto& http = impl_->http;
  http.Get("/metrics", [render = std::move(render)](const httplib::Request&, httplib::Response& response) {
    if (auto text = render()) {
      response.set_content(std::move(*text), "text/plain; version=0.0.4; charset=utf-8");
    } else {
      response.status = 503;
      response.set_content("the server is shutting down\n", "text/plain");
    }
  });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("OK\n", "text/plain");
  });
  // Keep-alive connections would each hold one of httplib's worker threads.
  http.set_keep_alive_max_count(1);
  impl_->host = host;
  impl_->port = port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (impl_->port <= 0) {
    throw std::runtime_error(fmt::format("cannot listen for metrics on {}:{}", host, port));
  }
  impl_->thread = std::thread([this] { impl_->http.listen_after_bind(); });
}

MetricsHttp::~MetricsHttp() {
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string MetricsHttp::address() const {
  if (impl_->host.find(':') != std::string::npos) return fmt::format("[{}]:{}", impl_->host, impl_->port);
  return fmt::format("{}:{}", impl_->host, impl_->port);
}

}  // namespace occhat::server
