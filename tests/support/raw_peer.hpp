#pragma once
// A greeted raw connection that matches answers to requests by request id and keeps the pushes
// (request id 0) that arrive meanwhile, plus the sign-up and befriend steps the raw suites share.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raw_client.hpp"
#include "server_process.hpp"

namespace occhat::test {

class RawPeer {
 public:
  explicit RawPeer(const ServerProcess& server, int receive_buffer = 0) : client_(greeted(server, receive_buffer)) {}

  // Sends `body` under the next request id and reads up to its answer (into `answer`), keeping
  // the pushes read on the way. Returns how the read ended; a failed send counts as closed.
  RawClient::Read exchange(const wire::Envelope& body, wire::Envelope& answer) {
    const std::uint32_t id = next_id_++;
    if (!client_->send(id, body)) return RawClient::Read::closed;
    for (;;) {
      proto::Frame frame;
      const auto r = client_->read_frame(frame);
      if (r != RawClient::Read::frame) return r;
      if (frame.is_push()) {
        pushes_.push_back(std::move(frame.body));
        continue;
      }
      EXPECT_EQ(frame.request_id, id);
      answer = std::move(frame.body);
      return RawClient::Read::frame;
    }
  }

  // The answer to `body`; fails the test (and returns an empty Envelope) if none comes.
  wire::Envelope call(const wire::Envelope& body) {
    wire::Envelope answer;
    if (exchange(body, answer) != RawClient::Read::frame) ADD_FAILURE() << "no answer to " << body.ShortDebugString();
    return answer;
  }

  // The next push, buffered or read from the socket; nullopt after `timeout`.
  std::optional<wire::Envelope> next_push(std::chrono::milliseconds timeout = kTimeout) {
    if (!pushes_.empty()) {
      auto body = std::move(pushes_.front());
      pushes_.pop_front();
      return body;
    }
    return read_push(timeout);
  }

  // Every push that arrives within `window` (plus those buffered before).
  std::vector<wire::Envelope> drain_pushes(std::chrono::milliseconds window) {
    std::vector<wire::Envelope> out(pushes_.begin(), pushes_.end());
    pushes_.clear();
    const auto deadline = std::chrono::steady_clock::now() + window;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto push = read_push(left);
      if (!push) break;
      out.push_back(std::move(*push));
    }
    return out;
  }

  RawClient& raw() { return *client_; }

 protected:
  // The next frame from the socket, expected to be a push; nullopt on close or after `timeout`.
  std::optional<wire::Envelope> read_push(std::chrono::milliseconds timeout) {
    proto::Frame frame;
    if (client_->read_frame(frame, timeout) != RawClient::Read::frame) return std::nullopt;
    EXPECT_TRUE(frame.is_push()) << "unexpected answer " << frame.body.ShortDebugString();
    return std::move(frame.body);
  }

  std::unique_ptr<RawClient> client_;
  std::uint32_t next_id_ = 10;
  std::deque<wire::Envelope> pushes_;
};

// Registers `nick` (as nick@example.org, password kPassword) and logs in; returns the user id.
inline std::uint32_t sign_up(RawPeer& peer, const std::string& nick, bool announce = false) {
  const auto registered = peer.call(rq::register_user(nick + "@example.org", nick, kPassword));
  EXPECT_TRUE(registered.has_register_response()) << registered.ShortDebugString();
  const auto id = registered.register_response().user_id();
  const auto login = peer.call(rq::login(id, kPassword, announce));
  EXPECT_TRUE(login.has_login_ok()) << login.ShortDebugString();
  return id;
}

// `a` asks, `b` accepts.
inline void befriend(RawPeer& a, std::uint32_t a_id, RawPeer& b, std::uint32_t b_id) {
  ASSERT_EQ(a.call(rq::add_friend(b_id)).add_friend_result().state(), wire::AddFriendResult::REQUESTED);
  ASSERT_EQ(b.call(rq::add_friend(a_id)).add_friend_result().state(), wire::AddFriendResult::NOW_FRIENDS);
}

}  // namespace occhat::test
