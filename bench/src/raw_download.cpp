#include "raw_download.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/address.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <functional>
#include <mutex>

#include "bench_error.hpp"
#include "handshake.hpp"
#include "io_pool.hpp"
#include "relay_client.hpp"

namespace occhat::bench {
namespace {

using namespace std::chrono_literals;

// Runs `body` on a one-thread pool after opening a session; rethrows its failure; bounded.
void run_session(const RawTarget& target, std::chrono::seconds timeout, const std::string& what,
                 std::function<asio::awaitable<void>(RawConnection&)> body) {
  IoPool pool(1);
  std::atomic<bool> done{false};
  std::mutex mutex;
  std::optional<std::string> failure;
  std::shared_ptr<RawConnection> conn;
  StopPoolOnExit stop_pool(pool);
  auto& io = pool.context(0);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), target.port);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          HandshakeOptions options;
          options.announce_presence = false;
          conn = co_await open_session(io, endpoint, target.token, options);
          co_await body(*conn);
        } catch (const std::exception& e) {
          std::lock_guard lock(mutex);
          failure = e.what();
        }
        if (conn) conn->close();
        done = true;
      },
      asio::detached);
  wait_until([&] { return done.load(); }, timeout, what);
  pool.stop();
  if (failure) throw BenchError(what + ": " + *failure);
}

}  // namespace

std::uint32_t raw_begin_upload(const RawTarget& target, std::uint32_t to, const std::string& name, std::uint64_t size,
                               const proto::Sha256Digest& sha256) {
  std::uint32_t chunk = 0;
  run_session(target, 30s, "beginning the upload", [&](RawConnection& conn) -> asio::awaitable<void> {
    const std::string_view digest(reinterpret_cast<const char*>(sha256.data()), sha256.size());
    const auto answer = co_await conn.call(rq::begin_upload(to, name, size, digest));
    if (!answer.has_upload_state()) throw BenchError("begin_upload was not answered with upload_state");
    chunk = answer.upload_state().chunk_size();
  });
  return chunk;
}

double raw_download_null(const RawTarget& target, std::uint64_t file_id, std::uint32_t chunk, std::size_t window) {
  double seconds = 0;
  run_session(target, 600s, "downloading to /dev/null", [&](RawConnection& conn) -> asio::awaitable<void> {
    const auto start = steady_now_ns();
    const auto info = co_await conn.call(rq::get_file(file_id));
    if (!info.has_file_info()) throw BenchError("get_file was not answered with file_info");
    const std::uint64_t size = info.file_info().size();
    std::uint64_t next = 0;      // first byte not yet requested
    std::uint64_t received = 0;  // bytes received, in order
    std::string error;
    // Answers come in request order; the callbacks only count. A timer wakes this coroutine
    // when the last byte is in (or on failure).
    asio::steady_timer finished(co_await asio::this_coro::executor);
    finished.expires_at(asio::steady_timer::time_point::max());
    std::function<void()> refill;
    std::size_t in_flight = 0;
    refill = [&] {
      while (next < size && in_flight < window && error.empty()) {
        const auto length = static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk, size - next));
        const std::uint64_t offset = next;
        next += length;
        ++in_flight;
        conn.send(rq::read_file(file_id, offset, length), [&, offset, length](const wire::Envelope* answer) {
          --in_flight;
          if (!answer) {
            error = "connection closed";
          } else if (!answer->has_file_chunk() || answer->file_chunk().offset() != offset ||
                     answer->file_chunk().data().size() != length) {
            error = answer->has_error() ? answer->error().message() : "unexpected answer to read_file";
          } else {
            received += length;
          }
          if (!error.empty() || received == size) {
            finished.cancel();
            return;
          }
          refill();
        });
      }
    };
    if (size > 0) {
      refill();
      std::error_code ec;
      co_await finished.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!error.empty()) throw BenchError(error);
    seconds = static_cast<double>(steady_now_ns() - start) / 1e9;
  });
  return seconds;
}

}  // namespace occhat::bench
