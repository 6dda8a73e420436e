#include "send_stages.hpp"

#include "server_context.hpp"

namespace occhat::server {

void record_send_queued(SendStageMetrics& metrics, const SendTiming& t, SendTiming::Clock::time_point queued) noexcept {
  metrics[SendStageMetrics::dispatch].observe(t.handled - t.read);
  metrics[SendStageMetrics::queue].observe(t.job_started - t.handled);
  metrics[SendStageMetrics::job].observe(t.job_finished - t.job_started);
  metrics[SendStageMetrics::commit].observe(t.durable - t.job_finished);
  metrics[SendStageMetrics::resume].observe(t.resumed - t.durable);
  metrics[SendStageMetrics::push].observe(queued - t.resumed);
}

void record_send_written(SendStageMetrics& metrics, SendTiming::Clock::time_point read,
                         SendTiming::Clock::time_point queued, SendTiming::Clock::time_point written) noexcept {
  metrics[SendStageMetrics::write].observe(written - queued);
  metrics[SendStageMetrics::total].observe(written - read);
}

TimedPush::TimedPush(ServerContext& server, const std::optional<SendTiming>& timing) noexcept : server_(server) {
  server_.timed_push_read_at = timing ? timing->read : SendTiming::Clock::time_point{};
}

TimedPush::~TimedPush() { server_.timed_push_read_at = {}; }

}  // namespace occhat::server
