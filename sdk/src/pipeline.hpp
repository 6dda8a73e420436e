#pragma once
// Several requests in flight on one connection, answered in the order they were sent (the
// server handles one connection's requests in order). File transfers use it to keep a window of
// chunks moving instead of paying one round trip per chunk.
//
// Not thread-safe: one Pipeline belongs to one calling thread. Its destructor forgets every
// request still in flight, so their late answers are dropped by the reader.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>

#include "connection.hpp"

namespace occhat::detail {

class Pipeline {
 public:
  Pipeline(std::shared_ptr<Connection> conn, std::function<std::uint32_t()> next_request_id,
           std::chrono::milliseconds timeout);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Encodes and queues `request`. Throws invalid_argument if it exceeds its frame cap.
  void send(const wire::Envelope& request);
  std::size_t in_flight() const noexcept { return calls_.size(); }
  // Waits for the answer to the oldest request in flight and removes it. Throws the server's
  // error, timeout (none within `timeout`, default: the pipeline's), unavailable, or
  // protocol_error (an answer of another type than `expected`).
  wire::Envelope wait_oldest(wire::Envelope::BodyCase expected);
  wire::Envelope wait_oldest(wire::Envelope::BodyCase expected, std::chrono::milliseconds timeout);
  // Forgets every request in flight (their answers will be dropped).
  void abandon() noexcept;
  // One request, one answer, for the control requests around a transfer. Only with nothing in
  // flight (throws internal otherwise).
  wire::Envelope call(const wire::Envelope& request, wire::Envelope::BodyCase expected);

 private:
  struct InFlight {
    std::uint32_t id;
    std::string name;  // of the request, for messages
    std::future<CallResult> answer;
  };

  std::shared_ptr<Connection> conn_;
  std::function<std::uint32_t()> next_request_id_;
  std::chrono::milliseconds timeout_;
  std::deque<InFlight> calls_;
};

}  // namespace occhat::detail
