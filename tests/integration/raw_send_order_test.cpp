// The order guarantees of sending, on whichever store the server uses (also run on PostgreSQL:
// the ctest variant RawSendOrder.*.postgresql). SQLite's one writer gives them for free; a pool
// of PostgreSQL connections only with the sender's order key (store_executor.hpp):
//  - one connection's pipelined sends are stored, answered and pushed in the order sent;
//  - their answers keep that order even when the sender reads slowly (its queue full);
//  - a recipient's pushes come in seq order, with no gap and no repeat, however many senders
//    write to it at once.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "raw_client.hpp"
#include "raw_peer.hpp"
#include "server_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace occhat::test;
namespace proto = occhat::proto;
namespace wire = occhat::wire;

// Sends `count` messages to `to` on `peer`'s connection with up to `window` in flight; returns
// the message ids in the order the messages were sent (0 where the answer was not message_sent).
std::vector<std::uint64_t> pipeline_sends(RawPeer& peer, std::uint32_t to, const std::string& prefix, int count,
                                          int window) {
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(count), 0);
  int answered = 0;
  auto read_answer = [&] {
    proto::Frame frame;
    if (peer.raw().read_frame(frame, 30s) != RawClient::Read::frame) {
      answered = count;  // the connection broke: the missing ids stay 0
      return;
    }
    if (frame.is_push()) return;  // the sender's own carbons
    const auto index = static_cast<std::size_t>(frame.request_id - 1000);
    if (index < ids.size() && frame.body.has_message_sent()) ids[index] = frame.body.message_sent().message_id();
    ++answered;
  };
  for (int i = 0; i < count; ++i) {
    if (!peer.raw().send(1000 + static_cast<std::uint32_t>(i), rq::send_message(to, prefix + std::to_string(i)))) break;
    while (i + 1 - answered > window) read_answer();
  }
  while (answered < count) read_answer();
  return ids;
}

// Reads `count` inbox items pushed to `peer` (subscribed), checking each seq follows the last.
std::vector<wire::InboxItem> pushed_items(RawPeer& peer, std::size_t count, std::uint64_t first_seq) {
  std::vector<wire::InboxItem> items;
  std::uint64_t expected = first_seq;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (items.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto push = peer.next_push(10s);
    if (!push) break;
    if (!push->has_inbox_items()) continue;  // presence
    for (const auto& item : push->inbox_items().items()) {
      EXPECT_EQ(item.seq(), expected) << "a seq skipped, reordered or repeated";
      expected = item.seq() + 1;
      items.push_back(item);
    }
  }
  return items;
}

TEST(RawSendOrder, OneConnectionsPipelinedSendsAreStoredAnsweredAndPushedInOrder) {
  ServerProcess server({}, {"--message-rate", "0"});
  RawPeer a(server);
  const auto alice = sign_up(a, "alice");
  RawPeer b(server);
  const auto bob = sign_up(b, "bob");
  befriend(b, bob, a, alice);  // bob's seq 1: the acceptance
  ASSERT_TRUE(b.call(rq::subscribe(1)).has_ok());

  constexpr int kMessages = 400;
  const auto ids = pipeline_sends(a, bob, "m", kMessages, 32);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_NE(ids[static_cast<std::size_t>(i)], 0u) << "send " << i << " was not stored";
    if (i > 0) {
      ASSERT_GT(ids[static_cast<std::size_t>(i)], ids[static_cast<std::size_t>(i - 1)])
          << "send " << i << " was stored before send " << i - 1 << " of the same connection";
    }
  }
  const auto items = pushed_items(b, kMessages, 2);
  ASSERT_EQ(items.size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(items[static_cast<std::size_t>(i)].message().text(), "m" + std::to_string(i))
        << "bob's inbox does not have alice's messages in the order she sent them";
  }
}

// A sender that reads slowly: its queue fills with its own carbons and answers wait for room.
// Once it reads again, the answers must still come in the order of its requests (a client pairs
// them that way), not in the order room happened to be found.
TEST(RawSendOrder, AnswersStayInRequestOrderWhenTheSendersQueueIsFull) {
  ServerProcess server({}, {"--message-rate", "0"});
  RawPeer a(server);
  const auto alice = sign_up(a, "alice");
  RawPeer b(server);
  const auto bob = sign_up(b, "bob");
  befriend(b, bob, a, alice);
  ASSERT_TRUE(a.call(rq::subscribe(1)).has_ok());  // alice gets a carbon of each send

  constexpr int kMessages = 3000;
  const std::string text(2000, 'x');
  std::thread sender([&] {
    for (int i = 0; i < kMessages; ++i) {
      if (!a.raw().send(1000 + static_cast<std::uint32_t>(i), rq::send_message(bob, text + std::to_string(i)))) break;
    }
  });
  std::this_thread::sleep_for(1500ms);  // not reading: the kernel buffers and alice's queue fill
  // Read everything (the sender thread finishes only if we do), checking the order.
  std::uint32_t next = 1000;
  int answered = 0, out_of_order = 0;
  while (answered < kMessages) {
    proto::Frame frame;
    if (a.raw().read_frame(frame, 30s) != RawClient::Read::frame) break;
    if (frame.is_push()) continue;
    if (frame.request_id != next) ++out_of_order;
    next = frame.request_id + 1;
    ++answered;
  }
  sender.join();
  EXPECT_EQ(answered, kMessages);
  EXPECT_EQ(out_of_order, 0) << "answers overtook earlier ones";
}

TEST(RawSendOrder, ARecipientOfManySendersGetsEverySeqInOrderOnce) {
  ServerProcess server({}, {"--message-rate", "0"});
  RawPeer r(server);
  const auto recipient = sign_up(r, "recipient");
  constexpr int kSenders = 6;
  constexpr int kEach = 80;
  std::vector<std::unique_ptr<RawPeer>> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(std::make_unique<RawPeer>(server));
    const auto id = sign_up(*senders.back(), "sender" + std::to_string(s));
    befriend(r, recipient, *senders.back(), id);
  }
  // The acceptances took seqs 1..kSenders (none: the recipient asked); start after whatever is there.
  const auto page = r.call(rq::fetch_inbox(0, 100));
  std::uint64_t last = 0;
  for (const auto& item : page.inbox_items().items()) last = item.seq();
  ASSERT_TRUE(r.call(rq::subscribe(last)).has_ok());

  std::vector<std::thread> threads;
  std::atomic<int> missing{0};
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      const auto ids = pipeline_sends(*senders[static_cast<std::size_t>(s)], recipient, std::to_string(s) + ":", kEach, 8);
      for (const auto id : ids) {
        if (id == 0) ++missing;
      }
    });
  }
  const auto items = pushed_items(r, kSenders * kEach, last + 1);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(missing.load(), 0);
  ASSERT_EQ(items.size(), static_cast<std::size_t>(kSenders * kEach));
  // Each sender's messages in the order it sent them.
  std::map<std::string, int> next_of_sender;
  for (const auto& item : items) {
    const std::string& text = item.message().text();
    const auto colon = text.find(':');
    ASSERT_NE(colon, std::string::npos) << text;
    int& next = next_of_sender[text.substr(0, colon)];
    EXPECT_EQ(text.substr(colon + 1), std::to_string(next)) << "sender " << text.substr(0, colon) << " reordered";
    ++next;
  }
}

}  // namespace
