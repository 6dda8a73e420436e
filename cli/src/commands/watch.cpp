// occhat watch: stays connected (announcing presence) and prints every pushed event, one line
// each, until SIGINT/SIGTERM. Acknowledges what it printed (every 256 events or after 200 ms of
// quiet), and after a lost connection reconnects with backoff (with a list of servers: to the
// next node) and subscribes again after the cursor, so nothing is missed and nothing is shown twice.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include <signal.h>

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"
#include "inbox_cursor.hpp"
#include "reconnect.hpp"

namespace occhat::cli {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kAckEvery = 256;
constexpr milliseconds kAckQuiet{200};
constexpr milliseconds kPoll{50};
// After a stop signal the process exits within this long even if a call to the server hangs.
constexpr milliseconds kStopGrace{800};

// Set by the signal handler, read by the main loop and by the watchdog thread: a lock-free atomic,
// not `volatile sig_atomic_t`, which is signal-safe but not thread-safe (TSan: data race).
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "g_stop is set from a signal handler");

extern "C" void request_stop(int) { g_stop.store(true); }

bool stop_requested() { return g_stop.load(); }

// Installs SIGINT/SIGTERM handlers that only set a flag (restored on destruction). The main loop
// polls the flag; a watchdog thread guarantees a prompt exit if the loop is stuck in a call.
class StopSignals {
 public:
  StopSignals() {
    g_stop.store(false);
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
    watchdog_ = std::thread([this] { watch_for_stop(); });
  }

  ~StopSignals() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    watchdog_.join();
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }

  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  void watch_for_stop() {
    std::unique_lock lock(mutex_);
    while (!done_ && !stop_requested()) wake_.wait_for(lock, kPoll);
    if (done_) return;
    if (wake_.wait_for(lock, kStopGrace, [this] { return done_; })) return;
    // Every printed line was flushed and the cursor is renamed into place, so nothing is lost.
    std::_Exit(0);
  }

  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread watchdog_;
};

// Sleeps `delay` unless a stop is requested first.
void sleep_unless_stopped(milliseconds delay) {
  const auto until = Clock::now() + delay;
  while (!stop_requested() && Clock::now() < until) std::this_thread::sleep_for(milliseconds{20});
}

class WatchCommand final : public Command {
 public:
  std::string name() const override { return "watch"; }
  std::string description() const override {
    return "Stay online and print every event as it arrives (Ctrl-C to stop)";
  }

  void configure(CLI::App&) override {}

  void run(Context& ctx) override {
    const SavedSession saved = require_session(ctx);
    const std::string server = session_server(ctx, saved);
    StopSignals signals;
    SessionOptions connection;
    connection.announce_presence = true;
    Client client(client_options(with_tls(ctx, server, &saved, connection)));
    InboxCursor cursor(ctx.home.dir(), saved.user_id);

    // A server that cannot be reached at start is an error like for any command; once a
    // connection is made, every loss is retried, including one in the middle of the first
    // resume/subscribe (a process stopped there, e.g. by SIGSTOP, finds its connection closed by
    // the idle timeout).
    connect_long_lived(client, server);
    // Each pass starts (resume, subscribe) and prints until the connection is lost, so every
    // pass after the first begins with a reconnect.
    std::size_t failures = 0;  // losses in a row since the last successful start
    while (!stop_requested()) {
      try {
        if (failures > 0) {
          client.disconnect();
          connect_client(client, server);
        }
        start(ctx, client, saved, cursor);
        if (failures > 0) std::cerr << "occhat: " << reconnected_notice(client, server) << "\n" << std::flush;
        failures = 0;
        print_events(ctx, client, cursor);
      } catch (const Error& e) {
        if (!is_connection_error(e)) throw;
      }
      if (stop_requested()) break;
      const milliseconds delay = reconnect_delay(failures);
      ++failures;
      std::cerr << "occhat: connection lost; reconnecting in " << delay_seconds_text(delay) << " s\n"
                << std::flush;
      sleep_unless_stopped(delay);
    }
    // Best effort: what was printed is in the cursor anyway.
    if (client.connected() && unacked_) {
      try {
        client.ack(cursor.value());
      } catch (const Error&) {
      }
    }
  }

 private:
  void start(Context& ctx, Client& client, const SavedSession& saved, InboxCursor& cursor) {
    resume_saved(client, saved, /*announce_presence=*/true);
    // On every connection: the server may have gone back (restored from a backup) while away.
    if (const auto warning = cursor.sync(client)) report_cursor_warning(ctx.out, *warning);
    client.subscribe(cursor.value());
    // Events an earlier run printed but could not acknowledge are not pushed again (the
    // subscription starts after the cursor); acknowledge them now.
    if (cursor.value() > 0) client.ack(cursor.value());
    unacked_ = false;
  }

  // Prints events until the connection is lost (throws unavailable) or a stop is requested.
  void print_events(Context& ctx, Client& client, InboxCursor& cursor) {
    std::size_t since_ack = 0;
    auto last_event = Clock::now();
    const auto ack = [&] {
      client.ack(cursor.value());
      unacked_ = false;
      since_ack = 0;
    };
    while (!stop_requested()) {
      const auto event = client.next_event(kPoll);
      if (!event) {
        if (unacked_ && Clock::now() - last_event >= kAckQuiet) ack();
        if (!client.connected()) throw Error(ErrorCode::unavailable, "connection lost");
        continue;
      }
      if (event->type == "disconnected") {
        // Queued by a connection lost before the current one was made: nothing to do.
        if (client.connected()) continue;
        throw Error(ErrorCode::unavailable, "connection lost");
      }
      last_event = Clock::now();
      if (const auto warning = cursor.check_event(event->seq)) report_cursor_warning(ctx.out, *warning);
      if (event->seq != 0 && event->seq <= cursor.value()) continue;
      const std::string text = format_event_line(*event);
      const Json json = event_json(*event);
      if (event->seq == 0) {
        ctx.out.result(text, json);
        continue;
      }
      cursor.prepare(*event);
      ctx.out.result(text, json);
      cursor.commit();
      unacked_ = true;
      if (++since_ack >= kAckEvery) ack();
    }
  }

  bool unacked_ = false;
};

}  // namespace

std::unique_ptr<Command> make_watch_command() { return std::make_unique<WatchCommand>(); }

}  // namespace occhat::cli
