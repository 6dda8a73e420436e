// occhat daemon [--socket PATH]: stays online (one server connection, the saved session) and
// serves JSON-RPC 2.0, one JSON object per line, on stdin/stdout or on an owner-only UNIX socket.
// Every SDK call is a method (daemon/methods.cpp); inbox events are "event" notifications with
// the cursor and acknowledgement semantics of `watch` (daemon/event_hub.hpp). The README section
// "occhat daemon (JSON-RPC)" is the protocol's manual.

#include <atomic>
#include <csignal>
#include <optional>
#include <string>

#include <signal.h>

#include "command.hpp"
#include "connection.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/event_hub.hpp"
#include "daemon/server_link.hpp"
#include "daemon/transport.hpp"

namespace occhat::cli {
namespace {

// Set by SIGINT/SIGTERM; every loop of the daemon polls it at least every 100 ms.
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "g_stop is set from a signal handler");

extern "C" void request_daemon_stop(int) { g_stop.store(true); }

// The handlers for the daemon's lifetime: stop flags, and SIGPIPE ignored (a client that went
// away is a failed write, handled per client, never the end of the process).
class DaemonSignals {
 public:
  DaemonSignals() {
    g_stop.store(false);
    struct sigaction action {};
    action.sa_handler = request_daemon_stop;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &old_pipe_);
  }
  ~DaemonSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
  }
  DaemonSignals(const DaemonSignals&) = delete;
  DaemonSignals& operator=(const DaemonSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  struct sigaction old_pipe_ {};
};

class DaemonCommand final : public Command {
 public:
  std::string name() const override { return "daemon"; }
  std::string description() const override {
    return "Stay online and serve JSON-RPC 2.0 (one object per line) on stdin/stdout or --socket PATH";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("--socket", socket_, "Serve on a UNIX socket at PATH (mode 0600) instead of stdin/stdout")
        ->type_name("PATH");
  }

  void run(Context& ctx) override {
    const SavedSession saved = require_session(ctx);
    const std::string server = session_server(ctx, saved);
    DaemonSignals signals;
    SessionOptions connection;
    connection.announce_presence = true;
    Client client(client_options(with_tls(ctx, server, &saved, connection)));
    // Before connecting: a socket path that cannot be used costs no server round trip.
    std::optional<daemon::ListeningSocket> listener;
    if (socket_) listener.emplace(*socket_);
    std::optional<Error> fatal;
    {
      // The hub outlives the link, whose thread feeds it (members are destroyed in reverse).
      daemon::ServerLink* link_for_hub = nullptr;
      daemon::EventHub hub([&link_for_hub] { link_for_hub->resubscribe(); });
      daemon::ServerLink link(client, server, saved, g_stop);
      link_for_hub = &link;
      // The first connection fails like any command's (exit 2 or 3), before any client is served.
      link.start(hub);
      daemon::Dispatcher dispatcher(client, link, hub);
      if (listener) {
        daemon::serve_socket(*listener, dispatcher, hub, g_stop);
      } else {
        daemon::serve_stdio(dispatcher, hub, g_stop);
      }
      link.stop();
      fatal = link.fatal();
    }
    client.disconnect();
    if (fatal) throw Error(fatal->code(), fatal->what());
  }

 private:
  std::optional<std::string> socket_;
};

}  // namespace

std::unique_ptr<Command> make_daemon_command() { return std::make_unique<DaemonCommand>(); }

}  // namespace occhat::cli
