#include "home.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "errors.hpp"

namespace occhat::cli {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int err) {
  return Error(ErrorCode::internal, what + " " + path.string() + ": " + std::strerror(err));
}

std::string home_of_current_user() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return {};
}

// Writes all of `data` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Home Home::resolve(const std::string& flag_value) {
  if (!flag_value.empty()) return Home(flag_value);
  const std::string user_home = home_of_current_user();
  if (user_home.empty()) throw usage_error("cannot find the home directory; use --home DIR");
  return Home(std::filesystem::path(user_home) / ".occhat");
}

std::optional<SavedSession> Home::load_session() const {
  auto saved = load_saved();
  if (saved && saved->token.empty()) return std::nullopt;  // logged out: only the server is kept
  return saved;
}

std::optional<SavedSession> Home::load_saved() const {
  const auto path = session_path();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot read", path, errno != 0 ? errno : EIO);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto damaged = [&] {
    return Error(ErrorCode::unauthenticated,
                 "session file " + path.string() + " is damaged (run: occhat login ID)");
  };
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) throw damaged();
  const auto server = json.find("server");
  if (server == json.end() || !server->is_string()) throw damaged();
  SavedSession saved;
  saved.server = server->get<std::string>();
  const auto user_id = json.find("user_id");
  const auto token = json.find("token");
  // Both or neither: neither is a logged-out home that only remembers its server.
  if ((user_id == json.end()) != (token == json.end())) throw damaged();
  if (token != json.end()) {
    if (!user_id->is_number_unsigned() || !token->is_string() ||
        token->get_ref<const std::string&>().empty()) {
      throw damaged();
    }
    saved.user_id = user_id->get<UserId>();
    saved.token = token->get<std::string>();
  }
  // Optional (added with TLS): absent in sessions saved before, and for plain TCP.
  if (const auto tls = json.find("tls"); tls != json.end()) {
    if (!tls->is_boolean()) throw damaged();
    saved.tls = tls->get<bool>();
  }
  if (const auto ca = json.find("ca"); ca != json.end()) {
    if (!ca->is_string()) throw damaged();
    saved.ca = ca->get<std::string>();
  }
  return saved;
}

void Home::ensure_dir() const {
  std::error_code ec;
  if (const auto parent = dir_.parent_path(); !parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) throw io_error("cannot create", parent, ec.value());
  }
  // Only the leaf is ours; it holds a secret, so nobody else may list or enter it.
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) throw io_error("cannot create", dir_, errno);
  if (!std::filesystem::is_directory(dir_, ec)) throw io_error("cannot use", dir_, ENOTDIR);
}

void Home::save_session(const SavedSession& session) const {
  ensure_dir();
  nlohmann::ordered_json json = {{"server", session.server}};
  if (!session.token.empty()) {
    json["user_id"] = session.user_id;
    json["token"] = session.token;
  }
  if (session.tls) json["tls"] = true;
  if (session.tls && !session.ca.empty()) json["ca"] = session.ca;
  write_private("session.json", json.dump(2) + "\n");
}

void Home::write_private(const std::string& name, const std::string& text) const {
  ensure_dir();
  const auto final_path = dir_ / name;
  const auto temp_path = dir_ / (name + ".tmp." + std::to_string(::getpid()));
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw io_error("cannot write", temp_path, errno);
  // The mode given to open() does not apply to a file that already existed.
  bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, text) && ::fsync(fd) == 0;
  int err = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && ::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(temp_path.c_str());
    throw io_error("cannot write", final_path, err);
  }
}

void Home::forget_token() const {
  auto saved = load_saved();
  if (!saved || saved->token.empty()) return;
  saved->user_id = 0;
  saved->token.clear();
  save_session(*saved);
}

}  // namespace occhat::cli
