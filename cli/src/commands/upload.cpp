// occhat upload ID PATH [--name NAME]: sends a file to a friend (online or offline).
// occhat upload --room ROOM PATH [--name NAME]: the same to a room (every member sees it).
// occhat upload ID PATH --cancel: abandons the unfinished upload of that file to that friend
// (the one a re-run would resume: same recipient, size and SHA-256); the server frees its bytes.
//
// Re-running the same command after an interruption continues where the server stopped: the SDK
// asks for the server's offset of an unfinished upload of the same bytes to the same friend.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "command.hpp"
#include "connection.hpp"
#include "destination.hpp"
#include "errors.hpp"
#include "event_format.hpp"
#include "result_json.hpp"
#include "progress.hpp"

namespace occhat::cli {
namespace {

// Checked before connecting, so a typo in PATH costs no round trip and gets a clear message.
void check_readable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  int error = fd < 0 ? errno : 0;
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      error = errno;
    } else if (S_ISDIR(st.st_mode)) {
      error = EISDIR;
    } else if (!S_ISREG(st.st_mode)) {
      error = EINVAL;  // a FIFO or device has no size to announce
    }
    ::close(fd);
  }
  if (error != 0) {
    const std::string reason = error == EINVAL ? "not a regular file" : std::strerror(error);
    throw usage_error("cannot read " + escape_for_terminal(path) + ": " + reason);
  }
}

class UploadCommand final : public Command {
 public:
  std::string name() const override { return "upload"; }
  std::string description() const override {
    return "Send a file to a friend or a room; re-run to resume an interrupted upload";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The friend's 6-digit user id (not with --room)");
    sub.add_option("PATH", path_, "The file to send");
    sub.add_option("--name", name_, "Show the file under NAME (default: PATH's base name)")
        ->type_name("NAME");
    sub.add_flag("--cancel", cancel_,
                 "Cancel the unfinished upload of PATH to ID (or --room ROOM) instead (the server deletes its bytes)");
    add_room_option(sub, room_, "Send to room ROOM");
  }

  void run(Context& ctx) override {
    const Destination to = resolve_destination(room_, id_, &path_);
    if (!path_) throw usage_error("missing PATH: the file to send");
    const std::string path = *path_;
    check_readable(path);
    if (cancel_) {
      const auto logged_in = open_logged_in(ctx);
      const FileId cancelled = to.room != 0 ? logged_in.client->cancel_room_upload_file(to.room, path)
                                            : logged_in.client->cancel_upload_file(to.user, path);
      const std::string where = to.room != 0 ? "room " + std::to_string(to.room) : std::to_string(to.user);
      ctx.out.result("cancelled upload " + std::to_string(cancelled) + " of " + escape_for_terminal(path) + " to " + where,
                     cancelled_upload_json(cancelled, to));
      return;
    }
    const std::string shown_name =
        name_ ? *name_ : std::filesystem::path(path).filename().string();

    const auto logged_in = open_logged_in(ctx);
    ProgressBar bar(ctx.out, escape_for_terminal(shown_name));
    const UploadResult result = to.room != 0
                                    ? logged_in.client->upload_room_file(to.room, path, name_, bar.callback())
                                    : logged_in.client->upload_file(to.user, path, name_, bar.callback());
    bar.clear();

    const FileInfo& f = result.file;
    ctx.out.result("uploaded " + escape_for_terminal(f.name) + " as file " + std::to_string(f.id) +
                       " (" + std::to_string(f.size) + " bytes); sent " +
                       std::to_string(result.bytes_sent) + " bytes, resumed at " +
                       std::to_string(result.resumed_from),
                   upload_result_json(result, to));
  }

 private:
  std::optional<std::string> id_;
  std::optional<std::string> room_;
  std::optional<std::string> path_;
  std::optional<std::string> name_;
  bool cancel_ = false;
};

}  // namespace

std::unique_ptr<Command> make_upload_command() { return std::make_unique<UploadCommand>(); }

}  // namespace occhat::cli
