// --metrics-listen on a real occhat-server process: what a scrape shows after real traffic.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "metrics_scrape.hpp"
#include "raw_client.hpp"
#include "raw_peer.hpp"
#include "server_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace occhat::test;
namespace harness = occhat::harness;

constexpr const char* kStages[] = {"dispatch", "queue", "job", "commit", "resume", "push", "write", "total"};

double stage_count(const std::map<std::string, double>& samples, const std::string& stage) {
  const auto it = samples.find("occhat_send_stage_seconds_count{stage=\"" + stage + "\"}");
  return it == samples.end() ? -1 : it->second;
}

// Every 1:1 send to an online recipient passes each stage once, from its frame being read to
// the recipient's push being written: the per-stage histograms count each send exactly once.
TEST(RawMetrics, EveryStageOfASendCountsEachSendOnce) {
  ServerProcess server({}, {"--metrics-listen", "127.0.0.1:0"});
  const std::string address = harness::metrics_address(server);
  RawPeer a(server), b(server);
  const auto alice = sign_up(a, "alice");
  const auto bob = sign_up(b, "bob");
  befriend(a, alice, b, bob);  // bob's seq 1: alice's request
  ASSERT_TRUE(b.call(rq::subscribe(0)).has_ok());
  ASSERT_TRUE(b.next_push());
  const auto before = harness::scrape_metrics(address);
  for (const char* stage : kStages) ASSERT_GE(stage_count(before, stage), 0) << "no histogram for stage " << stage;

  constexpr int kSends = 5;
  for (int i = 0; i < kSends; ++i) {
    ASSERT_TRUE(a.call(rq::send_message(bob, "hello " + std::to_string(i))).has_message_sent());
  }
  for (int i = 0; i < kSends; ++i) ASSERT_TRUE(b.next_push()) << "push " << i;
  // The server records a push's write once its write call returned, which may be just after
  // bob read it: wait for that (not for any duration), then every stage has the same count.
  auto after = harness::scrape_metrics(address);
  for (int tries = 0; tries < 500 && stage_count(after, "total") - stage_count(before, "total") < kSends; ++tries) {
    std::this_thread::sleep_for(10ms);
    after = harness::scrape_metrics(address);
  }
  for (const char* stage : kStages) {
    EXPECT_EQ(stage_count(after, stage) - stage_count(before, stage), kSends) << stage;
    const auto buckets = harness::histogram_buckets(after, "occhat_send_stage_seconds",
                                                    std::string("stage=\"") + stage + "\"");
    ASSERT_FALSE(buckets.empty()) << stage;
    EXPECT_EQ(buckets.back().second, stage_count(after, stage)) << stage << ": +Inf bucket is the count";
  }
}

}  // namespace
