#include "metrics.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "occhat/proto/frame.hpp"

namespace occhat::server {
namespace {

// The request type's name as the protocol calls it (the envelope field, e.g. "send_message_request").
std::string request_type_name(int field) {
  const auto* descriptor = wire::Envelope::descriptor()->FindFieldByNumber(field);
  return descriptor != nullptr ? descriptor->name() : "other";
}

void counter(std::string& out, const char* name, const char* help, std::uint64_t value) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
}

void gauge(std::string& out, const char* name, const char* help, std::int64_t value) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
}

}  // namespace

template <const auto& Bounds>
void DurationHistogram<Bounds>::observe(std::chrono::nanoseconds elapsed) noexcept {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  // The first bucket whose bound is >= the value (Prometheus' "le"); past the last: +Inf.
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(Bounds.begin(), Bounds.end(), seconds) - Bounds.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(elapsed.count(), 0)), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

template <const auto& Bounds>
std::string DurationHistogram<Bounds>::render(const std::string& name, const std::string& labels) const {
  std::string out;
  const std::string prefix = labels.empty() ? std::string() : labels + ",";
  const std::string own = labels.empty() ? std::string() : "{" + labels + "}";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < Bounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{{}le=\"{}\"}} {}\n", name, prefix, Bounds[i], cumulative);
  }
  cumulative += buckets_[Bounds.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{}le=\"+Inf\"}} {}\n", name, prefix, cumulative);
  out += fmt::format("{}_sum{} {}\n", name, own, static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out += fmt::format("{}_count{} {}\n", name, own, count_.load(std::memory_order_relaxed));
  return out;
}

template class DurationHistogram<kLatencyBounds>;
template class DurationHistogram<kSendStageBounds>;

void RequestCounter::count(int envelope_field, int code) noexcept {
  const int type = envelope_field > 0 && envelope_field <= kMaxType ? envelope_field : 0;
  const int slot = code >= 0 && code < kCodes ? code : static_cast<int>(ErrorCode::internal);
  counts_[static_cast<std::size_t>(type)][static_cast<std::size_t>(slot)].fetch_add(1, std::memory_order_relaxed);
}

std::string RequestCounter::render() const {
  std::string out =
      "# HELP occhat_requests_total Requests answered, by type and result code (ok or the error code)\n"
      "# TYPE occhat_requests_total counter\n";
  for (int type = 0; type <= kMaxType; ++type) {
    for (int code = 0; code < kCodes; ++code) {
      const auto value = counts_[static_cast<std::size_t>(type)][static_cast<std::size_t>(code)].load(
          std::memory_order_relaxed);
      if (value == 0) continue;
      out += fmt::format("occhat_requests_total{{type=\"{}\",code=\"{}\"}} {}\n",
                         type == 0 ? std::string("other") : request_type_name(type),
                         error_code_name(static_cast<ErrorCode>(code)), value);
    }
  }
  return out;
}

std::string render_metrics(const ServerMetrics& m, const MetricsSnapshot& s) {
  std::string out;
  out += "# HELP occhat_connections Open client connections, by whether they logged in\n"
         "# TYPE occhat_connections gauge\n";
  out += fmt::format("occhat_connections{{state=\"authenticated\"}} {}\n", s.connections - s.unauthenticated);
  out += fmt::format("occhat_connections{{state=\"unauthenticated\"}} {}\n", s.unauthenticated);
  gauge(out, "occhat_online_users", "Users with at least one presence-announcing connection",
        m.online_users.load(std::memory_order_relaxed));
  if (s.cluster_nodes) {
    gauge(out, "occhat_cluster_nodes", "Cluster nodes alive (heard from within 8 s), this one included",
          static_cast<std::int64_t>(*s.cluster_nodes));
  }
  gauge(out, "occhat_inbox_backlog", "Inbox items stored but not acknowledged yet, all users",
        static_cast<std::int64_t>(s.inbox_backlog));
  out += m.requests.render();
  counter(out, "occhat_messages_stored_total", "Messages stored (1:1 and room; a resend with the same client id is not counted)",
          m.messages_stored.load(std::memory_order_relaxed));
  counter(out, "occhat_deliveries_pushed_total", "Inbox items pushed to a live connection",
          m.deliveries_pushed.load(std::memory_order_relaxed));
  counter(out, "occhat_upload_bytes_total", "File bytes received from uploads",
          m.bytes_uploaded.load(std::memory_order_relaxed));
  counter(out, "occhat_download_bytes_total", "File bytes sent to downloads",
          m.bytes_downloaded.load(std::memory_order_relaxed));
  counter(out, "occhat_rate_limited_total", "Requests refused with RATE_LIMITED",
          m.rate_limited.load(std::memory_order_relaxed));
  counter(out, "occhat_connections_refused_total", "Connections closed on arrival (server full, too many not logged in)",
          m.connections_refused.load(std::memory_order_relaxed));
  out += "# HELP occhat_store_commit_seconds Time to commit store work (one SQLite group commit, or one transaction)\n"
         "# TYPE occhat_store_commit_seconds histogram\n";
  out += m.store_commit.render("occhat_store_commit_seconds");
  struct Stage {
    const char* name;
    const char* help;
    const LatencyHistogram& histogram;
  };
  const Stage stages[] = {
      {"occhat_store_queue_seconds", "Time a store call waited for a store thread (behind other calls and commits)",
       m.store_queue},
      {"occhat_store_job_seconds", "Time a store call's own statements took", m.store_job},
      {"occhat_store_commit_wait_seconds",
       "Time from a store call's end to its commit being durable (the rest of its group commit, fsync)",
       m.store_commit_wait},
      {"occhat_store_resume_seconds", "Time from a store call being durable to its request resuming on the network thread",
       m.store_resume},
      {"occhat_socket_write_seconds",
       "Time from a frame (answer or push) being queued on a connection to its write to the socket", m.socket_write},
  };
  for (const Stage& stage : stages) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} histogram\n", stage.name, stage.help);
    out += stage.histogram.render(stage.name);
  }
  out += "# HELP occhat_send_stage_seconds Where a 1:1 send's time goes, by stage (README \"Metrics\")\n"
         "# TYPE occhat_send_stage_seconds histogram\n";
  for (std::size_t i = 0; i < SendStageMetrics::kNames.size(); ++i) {
    out += m.send_stages.stages[i].render("occhat_send_stage_seconds",
                                          fmt::format("stage=\"{}\"", SendStageMetrics::kNames[i]));
  }
  return out;
}

}  // namespace occhat::server
