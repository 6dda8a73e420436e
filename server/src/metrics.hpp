#pragma once
// What the server counts for monitoring (--metrics-listen; served by metrics_http.*). Counters
// are atomics, bumped where the thing happens (the network thread, the store thread, file I/O)
// and read by a scrape on the HTTP thread without locks. Values that are state rather than
// events (connections, online users, inbox backlog) are read at scrape time instead: see
// MetricsSnapshot.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "occhat/proto/error_code.hpp"

namespace occhat::server {

// Bucket bounds (seconds) of the duration histograms.
// From 10 us: the stages of a relayed message take tens of microseconds each.
inline constexpr std::array<double, 15> kLatencyBounds{0.00001, 0.000025, 0.00005, 0.0001, 0.00025,
                                                       0.0005,  0.001,    0.0025,  0.005,  0.01,
                                                       0.025,   0.05,     0.1,     0.25,   1.0};
// A send's stages (SendStages): 1-1.5-2-3-5-7.5 per decade from 5 us to 1 s, so a p99 read off
// the buckets is within a bucket's width (about a third) of the true one.
inline constexpr std::array<double, 33> kSendStageBounds{
    0.000005, 0.0000075, 0.00001, 0.000015, 0.00002, 0.00003, 0.00005, 0.000075, 0.0001, 0.00015, 0.0002,
    0.0003,   0.0005,    0.00075, 0.001,    0.0015,  0.002,   0.003,   0.005,    0.0075, 0.01,    0.015,
    0.02,     0.03,      0.05,    0.075,    0.1,     0.15,    0.2,     0.3,      0.5,    0.75,    1.0};

// A Prometheus histogram of durations with fixed buckets (seconds).
template <const auto& Bounds>
class DurationHistogram {
 public:
  static constexpr const auto& kBounds = Bounds;
  void observe(std::chrono::nanoseconds elapsed) noexcept;
  // Lines "NAME_bucket{LABELS,le=..} N", "NAME_sum{LABELS} S", "NAME_count{LABELS} N" (cumulative
  // buckets); `labels` is empty or e.g. `stage="queue"`.
  std::string render(const std::string& name, const std::string& labels = {}) const;

 private:
  std::array<std::atomic<std::uint64_t>, Bounds.size() + 1> buckets_{};  // the last: +Inf
  std::atomic<std::uint64_t> sum_ns_{0};
  std::atomic<std::uint64_t> count_{0};
};
using LatencyHistogram = DurationHistogram<kLatencyBounds>;
using SendStageHistogram = DurationHistogram<kSendStageBounds>;

// Where one 1:1 send's time goes (send_stages.hpp times it), one histogram per stage:
//   dispatch  its frame read -> its handler starts (the pipeline's hand-off, other requests first)
//   queue     handler -> its store job starts (behind other jobs and commits)
//   job       the job's own statements
//   commit    job done -> durable (the rest of its group commit, the fsync)
//   resume    durable -> the handler resumes on the network thread
//   push      resumed -> answer and the recipient's push queued on their connections
//   write     the recipient's push queued -> written to its socket
//   total     frame read -> the recipient's push written (what a client measures, less the wire)
struct SendStageMetrics {
  static constexpr std::array<const char*, 8> kNames{"dispatch", "queue", "job",   "commit",
                                                     "resume",   "push",  "write", "total"};
  enum Stage : std::size_t { dispatch, queue, job, commit, resume, push, write, total };
  std::array<SendStageHistogram, kNames.size()> stages;
  SendStageHistogram& operator[](Stage stage) noexcept { return stages[stage]; }
};

// Requests by their envelope field number (the request type) and the answer's code.
class RequestCounter {
 public:
  static constexpr int kMaxType = 128;  // envelope field numbers above it count as "other"
  static constexpr int kCodes = 32;     // ErrorCode values; 0 = ok
  void count(int envelope_field, int code) noexcept;
  std::string render() const;

 private:
  std::array<std::array<std::atomic<std::uint64_t>, kCodes>, kMaxType + 1> counts_{};
};

struct ServerMetrics {
  RequestCounter requests;
  std::atomic<std::uint64_t> messages_stored{0};     // 1:1 and room messages (resends excluded)
  std::atomic<std::uint64_t> deliveries_pushed{0};   // inbox items pushed to a live connection
  std::atomic<std::uint64_t> bytes_uploaded{0};      // file chunk bytes received
  std::atomic<std::uint64_t> bytes_downloaded{0};    // file chunk bytes sent
  std::atomic<std::uint64_t> rate_limited{0};        // requests answered RATE_LIMITED
  std::atomic<std::uint64_t> connections_refused{0}; // closed at once: server full, too many waiting
  std::atomic<std::int64_t> online_users{0};         // users with a presence-announcing connection
  LatencyHistogram store_commit;                     // one per commit (a group of calls on SQLite)
  // Where a request's time goes, stage by stage (every store call; sends are most of them):
  LatencyHistogram store_queue;        // submitted on the network thread -> starts on a store thread
  LatencyHistogram store_job;          // the call's own statements
  LatencyHistogram store_commit_wait;  // the call done -> its commit durable (the rest of the group, fsync)
  LatencyHistogram store_resume;       // durable -> the request resumes on the network thread
  LatencyHistogram socket_write;       // a frame (answer or push) queued -> written to its socket
  SendStageMetrics send_stages;        // 1:1 sends only, stage by stage (occhat_send_stage_seconds)
};

// State read at scrape time (on the network thread and the store).
struct MetricsSnapshot {
  std::uint64_t connections = 0;
  std::uint64_t unauthenticated = 0;
  std::uint64_t inbox_backlog = 0;  // inbox items not acknowledged yet, all users
  std::optional<std::uint64_t> cluster_nodes;  // --bus: nodes heard from lately, this one included
};

// The Prometheus text exposition (format 0.0.4) of everything.
std::string render_metrics(const ServerMetrics& metrics, const MetricsSnapshot& snapshot);

}  // namespace occhat::server
