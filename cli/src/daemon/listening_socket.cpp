#include "daemon/listening_socket.hpp"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "errors.hpp"
#include "event_format.hpp"

namespace occhat::cli::daemon {
namespace {

Error os_error(const std::string& what, const std::string& path, int err) {
  return Error(ErrorCode::internal, what + " " + escape_for_terminal(path) + ": " + std::strerror(err));
}

sockaddr_un address_of(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    throw usage_error("--socket: the path must be 1 to " + std::to_string(sizeof addr.sun_path - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// Is a daemon listening on the socket at `path`?
bool someone_listens(const sockaddr_un& addr) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool listening = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return listening;
}

}  // namespace

ListeningSocket::ListeningSocket(std::string path) : path_(std::move(path)) {
  const sockaddr_un addr = address_of(path_);
  const std::string shown = escape_for_terminal(path_);
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw usage_error("--socket: " + shown + " exists and is not a socket (left as it is)");
    if (someone_listens(addr)) throw Error(ErrorCode::conflict, "another daemon is listening on " + shown);
    // A socket left by a daemon that was killed: nobody can use it any more.
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) throw os_error("cannot remove stale socket", path_, errno);
  }
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw os_error("cannot create socket", path_, errno);
  const mode_t old_mask = ::umask(0177);
  const int bound = ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  ::umask(old_mask);
  // listen() right after bind(): a client that sees the file appear can connect (the umask made
  // it 0600 already; chmod only guards against a umask the kernel did not apply).
  if (bound != 0 || ::listen(fd_, 16) != 0 || ::chmod(path_.c_str(), 0600) != 0) {
    const int err = bound != 0 ? bind_errno : errno;
    ::close(fd_);
    fd_ = -1;
    if (bound == 0) ::unlink(path_.c_str());
    throw os_error("cannot listen on", path_, err);
  }
  if (::lstat(path_.c_str(), &st) == 0) {
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
}

ListeningSocket::~ListeningSocket() {
  if (fd_ >= 0) ::close(fd_);
  struct stat st {};
  // Only our own: another daemon may have replaced it after ours was (wrongly) removed.
  if (ino_ != 0 && ::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
    ::unlink(path_.c_str());
  }
}

}  // namespace occhat::cli::daemon
