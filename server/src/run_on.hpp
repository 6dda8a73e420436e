#pragma once
// Runs a plain (blocking) function on another executor and resumes the awaiting coroutine on
// its own executor with the result or the exception. The one way the network thread hands work
// to the store thread and the password-hashing pool.

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace occhat::server {

// `F` is called as f() on `executor`; its result must be default-constructible (Asio's co_spawn
// completion carries a value even when it reports an exception).
//
// g++ 12 relocates non-trivial temporaries that live across a co_await bitwise (a captured
// std::string was then freed from a stale address). Asio's initiation coroutines take their
// arguments by value, so the closure handed to Asio holds only a raw pointer (trivially
// copyable) and the coroutine body takes ownership of `f`. Callers: pass a named local, not a
// lambda temporary written inside the co_await expression.
template <typename Executor, typename F>
auto run_on(Executor executor, F f) -> asio::awaitable<std::invoke_result_t<F&>> {
  using Result = std::invoke_result_t<F&>;
  F* job = new F(std::move(f));
  return asio::co_spawn(
      executor,
      [job]() -> asio::awaitable<Result> {
        std::unique_ptr<F> owned(job);
        if constexpr (std::is_void_v<Result>) {
          (*owned)();
          co_return;
        } else {
          co_return (*owned)();
        }
      },
      asio::use_awaitable);
}

}  // namespace occhat::server
