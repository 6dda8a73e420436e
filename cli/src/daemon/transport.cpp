#include "daemon/transport.hpp"

#include <cerrno>
#include <list>
#include <memory>
#include <thread>

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "daemon/line_reader.hpp"
#include "daemon/peer.hpp"

namespace occhat::cli::daemon {
namespace {

// A socket client that does not read its lines for this long is dropped, so it cannot hold up
// the events of the others.
constexpr int kSendTimeoutSeconds = 10;

// Reads and answers one client's requests until its input ends, it can no longer be written, or
// `stop`; then takes it off the hub.
void serve_peer(int in_fd, Peer& peer, Dispatcher& dispatcher, EventHub& hub, const std::atomic<bool>& stop) {
  hub.add_peer(peer, dispatcher.greeting());
  LineReader reader(in_fd, stop);
  std::string line;
  while (!peer.closed()) {
    const auto status = reader.next(line);
    if (status == LineReader::Status::end) break;
    if (status == LineReader::Status::too_long) {
      dispatcher.handle_too_long(peer);
    } else {
      dispatcher.handle_line(peer, line);
    }
  }
  hub.remove_peer(peer);
}

struct SocketClient {
  int fd = -1;
  std::unique_ptr<Peer> peer;
  std::atomic<bool> done{false};
  std::thread thread;
};

}  // namespace

void serve_stdio(Dispatcher& dispatcher, EventHub& hub, const std::atomic<bool>& stop) {
  Peer peer(STDOUT_FILENO, /*socket=*/false);
  serve_peer(STDIN_FILENO, peer, dispatcher, hub, stop);
}

void serve_socket(const ListeningSocket& listener, Dispatcher& dispatcher, EventHub& hub,
                  const std::atomic<bool>& stop) {
  std::list<SocketClient> clients;
  const auto reap = [&](bool all) {
    for (auto it = clients.begin(); it != clients.end();) {
      if (!all && !it->done.load()) {
        ++it;
        continue;
      }
      it->thread.join();
      ::close(it->fd);
      it = clients.erase(it);
    }
  };
  while (!stop.load()) {
    reap(false);
    pollfd pfd{listener.fd(), POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    const int fd = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client gave up meanwhile, or no fds left: try again later
    if (clients.size() >= static_cast<std::size_t>(kMaxSocketClients)) {
      ::close(fd);
      continue;
    }
    const timeval timeout{kSendTimeoutSeconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    SocketClient& client = clients.emplace_back();
    client.fd = fd;
    client.peer = std::make_unique<Peer>(fd, /*socket=*/true);
    client.thread = std::thread([&client, &dispatcher, &hub, &stop] {
      serve_peer(client.fd, *client.peer, dispatcher, hub, stop);
      client.done.store(true);
    });
  }
  reap(true);
}

}  // namespace occhat::cli::daemon
