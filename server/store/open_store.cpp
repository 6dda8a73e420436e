// open_store(): the one place a store location picks a backend.

#include <fmt/format.h>

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

std::unique_ptr<Store> open_store(std::string_view location, const StoreOptions& options) {
  if (location.empty()) throw StoreError(ErrorCode::invalid_argument, "no store location given");
  if (starts_with(location, "sqlite:")) {
    return open_sqlite_store(sqlite_path(location, location.substr(7)), options.durability);
  }
  const auto scheme = url_scheme(location);
  // libpq takes the whole URI (user, password, host, port, database, ?options) as it is.
  if (scheme == "postgresql" || scheme == "postgres") return open_pg_store(location);
  if (!scheme.empty()) {
    throw StoreError(ErrorCode::invalid_argument,
                     fmt::format("store '{}': unknown kind '{}' (use a file path, sqlite:PATH, sqlite:///abs/path or postgresql://...)",
                                 location, scheme));
  }
  return open_sqlite_store(std::string(location), options.durability);
}

}  // namespace occhat::store
