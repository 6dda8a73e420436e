// `_occhat.EventPipe`: pushed events handed from the SDK's I/O thread to an asyncio loop without
// a thread of Python's own. The SDK's event handler (on the I/O thread) appends the event to a
// queue and makes a pipe readable; the loop watches the pipe (loop.add_reader) and drains the
// queue with take(). The I/O thread never touches Python objects or waits for the GIL, so a
// Client being destroyed while the interpreter holds the GIL cannot deadlock with it.

#include <fcntl.h>
#include <pybind11/stl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "bindings.hpp"
#include "occhat/client.hpp"

namespace py = pybind11;

namespace occhat::python {
namespace {

// Shared by the handler (I/O thread) and the EventPipe, so either may outlive the other.
struct PipeState {
  std::mutex mutex;
  std::deque<Event> queue;
  bool signalled = false;  // a byte is in the pipe and not drained yet: at most one at a time
  int read_fd = -1;
  int write_fd = -1;

  ~PipeState() {
    if (read_fd >= 0) ::close(read_fd);
    if (write_fd >= 0) ::close(write_fd);
  }

  void push(const Event& event) {
    std::lock_guard lock(mutex);
    queue.push_back(event);
    if (!signalled && write_fd >= 0) {
      const char byte = 1;
      // Non-blocking; the pipe holds at most one byte, so it cannot be full.
      if (::write(write_fd, &byte, 1) == 1) signalled = true;
    }
  }

  std::vector<Event> take() {
    std::lock_guard lock(mutex);
    if (signalled) {
      char buffer[64];
      while (::read(read_fd, buffer, sizeof buffer) > 0) {
      }
      signalled = false;
    }
    std::vector<Event> events(std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.end()));
    queue.clear();
    return events;
  }
};

class EventPipe {
 public:
  explicit EventPipe(Client& client) : client_(&client), state_(std::make_shared<PipeState>()) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw Error(ErrorCode::internal, "cannot create the event pipe (errno " + std::to_string(errno) + ")");
    }
    state_->read_fd = fds[0];
    state_->write_fd = fds[1];
    // Events queued before this are passed to the handler at once, here.
    client.set_event_handler([state = state_](const Event& event) { state->push(event); });
  }

  int fileno() const { return state_->read_fd; }
  std::vector<Event> take() { return state_->take(); }
  // Gives the events back to next_event() polling. Call before the Client goes away.
  void close() {
    if (client_ != nullptr) client_->set_event_handler(nullptr);
    client_ = nullptr;
  }

 private:
  Client* client_;
  std::shared_ptr<PipeState> state_;
};

}  // namespace

void register_event_pipe(py::module_& m) {
  py::class_<EventPipe>(m, "EventPipe",
                        "Installs the SDK event handler of a RawClient: each pushed event is queued and the pipe "
                        "fileno() becomes readable; take() returns the queued events and drains the pipe.")
      .def(py::init<Client&>(), py::arg("client"), py::keep_alive<1, 2>())
      .def("fileno", &EventPipe::fileno, "The pipe to watch (loop.add_reader): readable while events are queued.")
      .def("take", &EventPipe::take, "Every queued event, oldest first (may be empty).")
      .def("close", &EventPipe::close, py::call_guard<py::gil_scoped_release>(),
           "Removes the handler: next_event() receives events again.");
}

}  // namespace occhat::python
