// occhat::Client as `_occhat.RawClient`: one method per SDK call, each releasing the GIL while it
// blocks so other Python threads keep running. Sessions, the cursor and events() live in the
// pure-Python layer (occhat/_client.py).

#include <pybind11/stl.h>

#include <chrono>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "occhat/client.hpp"
#include "occhat/proto/limits.hpp"

namespace py = pybind11;

namespace occhat::python {
namespace {

using release = py::call_guard<py::gil_scoped_release>;

// Runs a transfer with an optional Python progress callable. The SDK calls the callback on this
// thread with the GIL released, so it re-acquires it; a Python exception from the callback
// aborts the transfer and is re-raised unchanged.
template <typename Transfer>
auto with_progress(const py::object& progress, Transfer transfer) {
  std::optional<py::error_already_set> raised;
  ProgressCallback callback;
  if (!progress.is_none()) {
    callback = [&progress, &raised](std::uint64_t done, std::uint64_t total) {
      py::gil_scoped_acquire gil;
      try {
        progress(done, total);
      } catch (py::error_already_set& e) {
        raised.emplace(std::move(e));
        throw Error(ErrorCode::internal, "progress callback raised");
      }
    };
  }
  try {
    py::gil_scoped_release nogil;
    return transfer(callback);
  } catch (const Error&) {
    if (raised) throw std::move(*raised);
    throw;
  }
}

}  // namespace

void register_client(py::module_& m) {
  py::class_<Client>(m, "RawClient", "One connection to an occhat-server (thread-safe; GIL released while blocking).")
      .def(py::init([](double connect_timeout, double request_timeout, bool tls, std::string tls_ca_file,
                       std::string tls_server_name, double keepalive_interval, double keepalive_timeout) {
             Client::Options options;
             options.tls = tls;
             options.tls_ca_file = std::move(tls_ca_file);
             options.tls_server_name = std::move(tls_server_name);
             options.connect_timeout = std::chrono::milliseconds(static_cast<long long>(connect_timeout * 1000));
             options.request_timeout = std::chrono::milliseconds(static_cast<long long>(request_timeout * 1000));
             options.keepalive_interval = std::chrono::milliseconds(static_cast<long long>(keepalive_interval * 1000));
             options.keepalive_timeout = std::chrono::milliseconds(static_cast<long long>(keepalive_timeout * 1000));
             options.client_name = "occhat-python/0.1.0";
             return new Client(options);
           }),
           py::arg("connect_timeout") = 5.0, py::arg("request_timeout") = 15.0, py::arg("tls") = false,
           py::arg("tls_ca_file") = std::string(), py::arg("tls_server_name") = std::string(),
           py::arg("keepalive_interval") = 10.0, py::arg("keepalive_timeout") = 10.0)
      .def("connect", &Client::connect, release(), py::arg("server"))
      .def("disconnect", &Client::disconnect, release())
      .def("connected", &Client::connected)
      .def("server", &Client::server)
      .def("register_user", &Client::register_user, release(), py::arg("email"), py::arg("nick"),
           py::arg("password"))
      .def("login", &Client::login, release(), py::arg("user_id"), py::arg("password"),
           py::arg("announce_presence") = false, py::arg("revoke_tokens") = std::vector<std::string>())
      .def("resume", &Client::resume, release(), py::arg("token"), py::arg("announce_presence") = false)
      .def("logout", &Client::logout, release())
      .def("find_user", &Client::find_user, release(), py::arg("user_id"))
      .def("find_users", &Client::find_users, release(), py::arg("nick"), py::arg("prefix") = false)
      .def("change_password", &Client::change_password, release(), py::arg("current_password"),
           py::arg("new_password"))
      .def("set_nick", &Client::set_nick, release(), py::arg("nick"))
      .def("set_discoverable", &Client::set_discoverable, release(), py::arg("discoverable"))
      .def("sessions", &Client::sessions, release())
      .def("logout_all", &Client::logout_all, release())
      .def("end_session", &Client::end_session, release(), py::arg("session_id"))
      .def("delete_account", &Client::delete_account, release(), py::arg("password"))
      .def("add_friend", &Client::add_friend, release(), py::arg("user_id"))
      .def("remove_friend", &Client::remove_friend, release(), py::arg("user_id"))
      .def("friends", &Client::friends, release())
      .def("friend_requests", &Client::friend_requests, release())
      .def("send_message", &Client::send_message, release(), py::arg("to"), py::arg("text"),
           py::arg("client_msg_id") = std::string())
      .def("fetch_inbox", &Client::fetch_inbox, release(), py::arg("after_seq") = 0, py::arg("limit") = proto::kMaxInboxFetchLimit)
      .def("ack", &Client::ack, release(), py::arg("up_to_seq"))
      .def("subscribe", &Client::subscribe, release(), py::arg("after_seq") = 0)
      .def("history", &Client::history, release(), py::arg("peer"), py::arg("limit") = proto::kDefaultHistoryLimit,
           py::arg("before_id") = 0)
      .def("mark_read", &Client::mark_read, release(), py::arg("peer"), py::arg("up_to_id") = 0)
      .def("mark_room_read", &Client::mark_room_read, release(), py::arg("room"), py::arg("up_to_id") = 0)
      .def(
          "upload_file",
          [](Client& c, UserId to, const std::string& path, const std::optional<std::string>& name,
             const py::object& progress) {
            return with_progress(progress, [&](const ProgressCallback& cb) { return c.upload_file(to, path, name, cb); });
          },
          py::arg("to"), py::arg("path"), py::arg("name") = py::none(), py::arg("progress") = py::none())
      .def("files", &Client::files, release(), py::arg("peer") = 0)
      .def("files_page", &Client::files_page, release(), py::arg("peer"), py::arg("before_id") = 0,
           py::arg("limit") = 0)
      .def("cancel_upload", &Client::cancel_upload, release(), py::arg("upload_id"))
      .def("cancel_upload_file", &Client::cancel_upload_file, release(), py::arg("to"), py::arg("path"))
      .def("cancel_room_upload_file", &Client::cancel_room_upload_file, release(), py::arg("room"), py::arg("path"))
      .def("file_info", &Client::file_info, release(), py::arg("file_id"))
      .def(
          "download_file",
          [](Client& c, FileId id, const std::string& path, bool resume, const py::object& progress) {
            return with_progress(progress,
                                 [&](const ProgressCallback& cb) { return c.download_file(id, path, resume, cb); });
          },
          py::arg("file_id"), py::arg("path"), py::arg("resume") = false, py::arg("progress") = py::none())
      // ---- rooms ----
      .def("create_room", &Client::create_room, release(), py::arg("name"))
      .def("invite_to_room", &Client::invite_to_room, release(), py::arg("room"), py::arg("users"))
      .def("join_room", &Client::join_room, release(), py::arg("room"))
      .def("decline_room", &Client::decline_room, release(), py::arg("room"))
      .def("leave_room", &Client::leave_room, release(), py::arg("room"))
      .def("remove_from_room", &Client::remove_from_room, release(), py::arg("room"), py::arg("user"))
      .def("set_room_admin", &Client::set_room_admin, release(), py::arg("room"), py::arg("user"),
           py::arg("admin") = true)
      .def("transfer_room", &Client::transfer_room, release(), py::arg("room"), py::arg("new_owner"))
      .def("rename_room", &Client::rename_room, release(), py::arg("room"), py::arg("name"))
      .def("delete_room", &Client::delete_room, release(), py::arg("room"))
      .def("rooms", &Client::rooms, release())
      .def("room_members", &Client::room_members, release(), py::arg("room"))
      .def("send_room_message", &Client::send_room_message, release(), py::arg("room"), py::arg("text"),
           py::arg("client_msg_id") = std::string())
      .def("room_history", &Client::room_history, release(), py::arg("room"),
           py::arg("limit") = proto::kDefaultHistoryLimit, py::arg("before_id") = 0)
      .def(
          "upload_room_file",
          [](Client& c, RoomId room, const std::string& path, const std::optional<std::string>& name,
             const py::object& progress) {
            return with_progress(progress,
                                 [&](const ProgressCallback& cb) { return c.upload_room_file(room, path, name, cb); });
          },
          py::arg("room"), py::arg("path"), py::arg("name") = py::none(), py::arg("progress") = py::none())
      .def("room_files", &Client::room_files, release(), py::arg("room"))
      .def("room_files_page", &Client::room_files_page, release(), py::arg("room"), py::arg("before_id") = 0,
           py::arg("limit") = 0)
      // ---- blocking ----
      .def("block_user", &Client::block_user, release(), py::arg("user_id"))
      .def("unblock_user", &Client::unblock_user, release(), py::arg("user_id"))
      .def("blocked_users", &Client::blocked_users, release())
      .def("current_user", &Client::current_user)
      .def(
          "next_event",
          [](Client& c, double timeout) {
            return c.next_event(std::chrono::milliseconds(static_cast<long long>(timeout * 1000)));
          },
          release(), py::arg("timeout"),
          "The next pushed event, or None after `timeout` seconds. Keep timeouts short in the main "
          "thread so Ctrl-C is noticed.");
}

}  // namespace occhat::python
