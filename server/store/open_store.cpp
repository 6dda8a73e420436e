// open_store(): the one place a store location picks a backend.

#include <fmt/format.h>

#include <optional>
#include <string>

#include "occhat/store/pg_store.hpp"
#include "occhat/store/sqlite_store.hpp"
#include "occhat/store/store.hpp"

namespace occhat::store {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// "sqlite:PATH" or "sqlite:///abs/path" (an empty authority, as in file: URLs) -> the path.
std::string sqlite_path(std::string_view location, std::string_view rest) {
  if (starts_with(rest, "//")) {
    rest.remove_prefix(2);
    if (!starts_with(rest, "/")) {
      throw StoreError(ErrorCode::invalid_argument,
                       fmt::format("store '{}': sqlite:// takes no host; write sqlite:///abs/path or sqlite:PATH",
                                   location));
    }
  }
  if (rest.empty()) throw StoreError(ErrorCode::invalid_argument, fmt::format("store '{}': no file name", location));
  return std::string(rest);
}

// The URL scheme of `location` ("postgresql" for "postgresql://..."), or empty for a plain path.
// Only SCHEME:// counts, so a file name with a colon in it stays a path.
std::string_view url_scheme(std::string_view location) {
  const auto end = location.find("://");
  if (end == std::string_view::npos || end == 0) return {};
  const auto scheme = location.substr(0, end);
  const bool plausible = scheme.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") ==
                         std::string_view::npos;
  return plausible ? scheme : std::string_view{};
}

}  // namespace

std::optional<std::string> sqlite_file_of(std::string_view location) {
  if (location.empty()) throw StoreError(ErrorCode::invalid_argument, "no store location given");
  if (starts_with(location, "sqlite:")) return sqlite_path(location, location.substr(7));
  const auto scheme = url_scheme(location);
  if (scheme == "postgresql" || scheme == "postgres") return std::nullopt;
  if (!scheme.empty()) {
    throw StoreError(ErrorCode::invalid_argument,
                     fmt::format("store '{}': unknown kind '{}' (use a file path, sqlite:PATH, sqlite:///abs/path or postgresql://...)",
                                 location, scheme));
  }
  return std::string(location);
}

std::unique_ptr<Store> open_store(std::string_view location, const StoreOptions& options) {
  if (auto file = sqlite_file_of(location)) return open_sqlite_store(*file, options.durability);
  // libpq takes the whole URI (user, password, host, port, database, ?options) as it is.
  return open_pg_store(location);
}

}  // namespace occhat::store
