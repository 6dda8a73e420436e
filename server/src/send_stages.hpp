#pragma once
// Where one 1:1 send's time goes inside the server (occhat_send_stage_seconds, metrics.hpp), timed
// only while the server times stages (--metrics-listen): a few steady-clock reads per send, on
// the threads that pass each point anyway. The points, in order:
//   read          the connection decoded the send's frame (Incoming::read_at)
//   handled       handle_send_message started
//   job_started   the store job started on the store thread     (in the job itself)
//   job_finished  its statements returned                        (in the job itself)
//   durable       its group commit finished (the executor's completion; StoreExecutor::run_in_order)
//   resumed       the handler resumed on the network thread
// then, in the session: the answer and the recipient's push queued (record_send_queued), and in
// the connection's writer: that push written to the recipient's socket (record_send_written).

#include <chrono>
#include <optional>

#include "metrics.hpp"

namespace occhat::server {

struct ServerContext;

struct SendTiming {
  using Clock = std::chrono::steady_clock;
  Clock::time_point read, handled, job_started, job_finished, durable, resumed;
};

// Records the stages up to `queued` (now: the answer and the recipient's push are queued).
void record_send_queued(SendStageMetrics& metrics, const SendTiming& timing,
                        SendTiming::Clock::time_point queued = SendTiming::Clock::now()) noexcept;
// Records the recipient's push of a send read at `read`, queued at `queued`, written at `written`.
void record_send_written(SendStageMetrics& metrics, SendTiming::Clock::time_point read,
                         SendTiming::Clock::time_point queued, SendTiming::Clock::time_point written) noexcept;

// While one lives, the frames queued on connections are a timed send's push (the connection's
// writer records their write): set around publishing the recipient's item, which queues its
// push synchronously on the network thread (a push bus to other nodes queues nothing here).
class TimedPush {
 public:
  TimedPush(ServerContext& server, const std::optional<SendTiming>& timing) noexcept;
  ~TimedPush();
  TimedPush(const TimedPush&) = delete;
  TimedPush& operator=(const TimedPush&) = delete;

 private:
  ServerContext& server_;
};

}  // namespace occhat::server
