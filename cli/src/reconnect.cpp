#include "reconnect.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <iterator>

#include "connection.hpp"

namespace occhat::cli {
namespace {

using std::chrono::milliseconds;

constexpr std::array<milliseconds, 5> kBackoff{milliseconds{500}, milliseconds{1000}, milliseconds{2000},
                                               milliseconds{4000}, milliseconds{8000}};

}  // namespace

milliseconds reconnect_delay(std::size_t failures) {
  return kBackoff[std::min(failures, kBackoff.size() - 1)];
}

std::string delay_seconds_text(milliseconds delay) {
  if (delay.count() % 1000 == 0) return std::to_string(delay.count() / 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(delay.count()) / 1000.0);
  return buf;
}

std::string reconnected_notice(const Client& client, const std::string& server) {
  if (server.find(',') == std::string::npos) return "reconnected";
  return "reconnected to " + client.server();
}

void connect_long_lived(Client& client, const std::string& server) {
  try {
    connect_client(client, server);
  } catch (const Error& e) {
    // A timeout is not retried: a silent address would double the wait before the error.
    if (e.code() != ErrorCode::unavailable) throw;
    client.disconnect();
    connect_client(client, server);
  }
}

}  // namespace occhat::cli
