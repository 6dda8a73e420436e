#include "handshake.hpp"

#include "bench_error.hpp"

namespace occhat::bench {

asio::awaitable<std::shared_ptr<RawConnection>> open_session(asio::io_context& io, asio::ip::tcp::endpoint server,
                                                               const std::string& token, HandshakeOptions options) {
  auto conn = std::make_shared<RawConnection>(io);
  co_await conn->connect(server, options.source);
  const auto hello = co_await conn->call(rq::hello(kClientName));
  if (!hello.has_hello_ok()) throw BenchError("hello was not answered with hello_ok");
  const auto login = co_await conn->call(rq::resume(token, options.announce_presence));
  if (!login.has_login_ok()) throw BenchError("resume was not answered with login_ok");
  if (options.subscribe) {
    if (options.before_subscribe) options.before_subscribe(conn);
    const auto ok = co_await conn->call(rq::subscribe(0));
    if (!ok.has_ok()) throw BenchError("subscribe was not answered with ok");
  }
  co_return conn;
}

}  // namespace occhat::bench
