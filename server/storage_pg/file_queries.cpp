// Files (as server/storage/file_queries.cpp). So far only the lookup the inbox needs; the
// upload and file Store methods are not ported yet.

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "queries.hpp"

namespace occhat::store::pg {
namespace {

Sha256 column_sha(const Result& result, int row, int column) {
  Sha256 digest{};
  const auto bytes = result.bytes(row, column);
  std::memcpy(digest.data(), bytes.data(), std::min(bytes.size(), digest.size()));
  return digest;
}

// Both tables as one relation of FileRecord columns: id, name, size, sha256, sender, recipient
// (0 for a room file), sender nick, time, state, pair_key, room_id, room name.
constexpr const char* kAllFiles =
    "SELECT f.id, f.name, f.size, f.sha256, f.sender, CASE WHEN f.room_id IS NULL THEN f.recipient ELSE 0 END "
    "       AS recipient, u.nick, f.created_ms, 0 AS state, f.pair_key, f.room_id, r.name AS room_name "
    "FROM files f JOIN users u ON u.id = f.sender LEFT JOIN rooms r ON r.id = f.room_id "
    "UNION ALL "
    "SELECT p.id, p.name, p.size, p.sha256, p.sender, CASE WHEN p.room_id IS NULL THEN p.recipient ELSE 0 END, "
    "       u.nick, p.created_ms, 1 AS state, p.pair_key, p.room_id, r.name "
    "FROM uploads p JOIN users u ON u.id = p.sender LEFT JOIN rooms r ON r.id = p.room_id";

FileRecord read_file_record(const Result& result, int row) {
  FileRecord file;
  file.id = static_cast<std::uint64_t>(result.integer(row, 0));
  file.name = result.text(row, 1);
  file.size = static_cast<std::uint64_t>(result.integer(row, 2));
  file.sha256 = column_sha(result, row, 3);
  file.sender = static_cast<std::uint32_t>(result.integer(row, 4));
  file.recipient = static_cast<std::uint32_t>(result.integer(row, 5));
  file.sender_nick = result.text(row, 6);
  file.time_ms = result.integer(row, 7);
  file.state = static_cast<FileRecord::State>(result.integer(row, 8));
  file.room_id = result.is_null(row, 10) ? 0 : static_cast<std::uint32_t>(result.integer(row, 10));
  file.room_name = result.text(row, 11);
  return file;
}

}  // namespace

FileRecord published_file(Connection& conn, std::uint64_t id) {
  const auto result =
      conn.run(fmt::format("SELECT * FROM ({}) AS all_files WHERE id = $1 AND state = 0", kAllFiles), Params{}.add(id));
  if (result.empty()) throw StoreError(ErrorCode::internal, fmt::format("file {} vanished", id));
  return read_file_record(result, 0);
}

}  // namespace occhat::store::pg
