#pragma once
// Client::Impl, shared by the source files of the public API (client.cpp: connection, accounts,
// friends, messages; files.cpp, upload.cpp, download.cpp: files; rooms.cpp, blocking.cpp). Locking: see client.cpp.

#include <asio/io_context.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "address.hpp"
#include "connection.hpp"
#include "event_queue.hpp"
#include "occhat/client.hpp"

namespace occhat {
namespace detail {

// Where an upload goes: a friend (`to`) or a room (`room`); exactly one is set.
struct UploadDestination {
  UserId to = 0;
  RoomId room = 0;
};

}  // namespace detail

struct Client::Impl {
  explicit Impl(Options options) : options_(std::move(options)) {}
  ~Impl();

  void connect(const std::string& server);
  void disconnect() noexcept;
  bool connected() const noexcept;
  std::string server() const;
  wire::Envelope call(const wire::Envelope& request, wire::Envelope::BodyCase expected);
  Session login_answer(const wire::Envelope& answer);
  std::optional<Event> next_event(std::chrono::milliseconds timeout);
  std::optional<UserInfo> current_user() const;
  void set_user(std::optional<UserInfo> user);
  void set_event_handler(std::function<void(const Event&)> handler) { events_.set_handler(std::move(handler)); }

  // For calls that keep several requests in flight (file transfers, see pipeline.hpp): the
  // connection of a finished handshake. Throws conflict on the I/O thread, unavailable when not
  // connected. Hold an ActiveCall while using it.
  std::shared_ptr<detail::Connection> ready_connection();
  std::uint32_t next_request_id() noexcept;
  const Options& options() const noexcept { return options_; }

  // upload.cpp: the one resumable upload path, for friends and rooms alike. Hold an ActiveCall.
  UploadResult upload(const detail::UploadDestination& destination, const std::string& path,
                      const std::optional<std::string>& name, const ProgressCallback& progress);

  // Counts a public call in progress, so the destructor can wait until none touches *this.
  class ActiveCall {
   public:
    explicit ActiveCall(Impl& impl);
    ~ActiveCall();
    ActiveCall(const ActiveCall&) = delete;
    ActiveCall& operator=(const ActiveCall&) = delete;

   private:
    Impl& impl_;
  };

 private:
  wire::Envelope exchange(detail::Connection& conn, const wire::Envelope& request,
                          wire::Envelope::BodyCase expected, std::chrono::milliseconds timeout);
  std::string ping_frame();
  // connect() to one entry of the list: connection and handshake. lifecycle_mutex_ held.
  void open_one(const detail::ServerAddress& address);
  void teardown();  // lifecycle_mutex_ held, not on the I/O thread
  void on_push(wire::Envelope&& push);
  void on_lost(const Error& reason);

  const Options options_;
  asio::io_context io_{1};
  std::thread io_thread_;
  std::mutex lifecycle_mutex_;
  std::atomic<std::uint32_t> last_request_id_{0};
  detail::EventQueue events_;

  mutable std::mutex state_mutex_;
  std::condition_variable calls_done_;
  std::shared_ptr<detail::Connection> conn_;
  bool ready_ = false;  // the handshake on conn_ succeeded
  // Failover (connect() with a list): the list of the last successful connect() as given, the
  // index of the entry it reached, and whether that connection was lost since (then the next
  // connect() to the same list starts with the entry after it: round robin from the node that
  // failed; after a disconnect() it starts with the same node again).
  std::string server_list_;
  std::size_t server_index_ = 0;
  std::string server_address_;  // that entry, for server()
  bool server_lost_ = false;
  std::optional<UserInfo> user_;
  int active_calls_ = 0;
  bool shutting_down_ = false;
};

}  // namespace occhat
