// Files: unfinished uploads (resumable by their key), publishing, listing and lookups (as
// server/storage/file_queries.cpp). Beginning an upload holds the lock of (sender, destination),
// so two begins of the same bytes at once resume one upload instead of starting two.

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

constexpr const char* kUploadColumns = "id, sender, recipient, name, size, sha256, created_ms, updated_ms, room_id";

Upload read_upload(const Result& result, int row) {
  Upload upload;
  upload.id = static_cast<std::uint64_t>(result.integer(row, 0));
  upload.sender = static_cast<std::uint32_t>(result.integer(row, 1));
  upload.recipient = static_cast<std::uint32_t>(result.integer(row, 2));
  upload.name = result.text(row, 3);
  upload.size = static_cast<std::uint64_t>(result.integer(row, 4));
  upload.sha256 = column_sha(result, row, 5);
  upload.created_ms = result.integer(row, 6);
  upload.updated_ms = result.integer(row, 7);
  upload.room_id = result.is_null(row, 8) ? 0 : static_cast<std::uint32_t>(result.integer(row, 8));
  if (upload.room_id != 0) upload.recipient = 0;  // stored as the sender (see schema step 5)
  return upload;
}

// The sender's oldest unfinished upload of the same bytes to the same destination
// (`destination` matches $2: a recipient or a room), with its name and updated time refreshed:
// what a re-run of the same upload continues.
std::optional<Upload> resume_unfinished(Connection& conn, std::string_view destination, std::uint32_t from,
                                        std::uint32_t to, std::string_view name, std::uint64_t size,
                                        const Sha256& sha256, std::int64_t now) {
  const auto result = conn.run(fmt::format("UPDATE uploads SET name = $5, updated_ms = $6 "
                                           "WHERE id = (SELECT id FROM uploads WHERE sender = $1 AND {} "
                                           "AND size = $3 AND sha256 = $4 ORDER BY id LIMIT 1) RETURNING {}",
                                           destination, kUploadColumns),
                               Params{}.add(from).add(to).add(as_int(size)).add_bytes(sha256).add(name).add(now));
  if (result.empty()) return std::nullopt;
  return read_upload(result, 0);
}

std::vector<FileRecord> read_file_records(const Result& result);

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

std::vector<FileRecord> read_file_records(const Result& result) {
  std::vector<FileRecord> files;
  for (int row = 0; row < result.rows(); ++row) files.push_back(read_file_record(result, row));
  return files;
}

}  // namespace

BeginUploadResult begin_upload(Connection& conn, std::uint32_t from, std::uint32_t to, std::string_view name,
                               std::uint64_t size, const Sha256& sha256) {
  require_user(conn, to);
  if (!are_friends(conn, from, to)) throw StoreError(ErrorCode::not_allowed, fmt::format("{} is not your friend", to));
  lock_pair(conn, from, to);
  const auto now = now_ms();
  BeginUploadResult result;
  if (auto found = resume_unfinished(conn, "recipient = $2 AND room_id IS NULL", from, to, name, size, sha256, now)) {
    result.upload = std::move(*found);
    result.resumed = true;
    return result;
  }
  const auto inserted =
      conn.run(fmt::format("INSERT INTO uploads(sender, recipient, pair_key, name, size, sha256, created_ms, "
                           "updated_ms) VALUES($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {}",
                           kUploadColumns),
               Params{}.add(from).add(to).add(pair_key(from, to)).add(name).add(as_int(size)).add_bytes(sha256).add(now));
  if (inserted.empty()) throw StoreError(ErrorCode::internal, "cannot insert upload");
  result.upload = read_upload(inserted, 0);
  return result;
}

BeginUploadResult begin_room_upload(Connection& conn, std::uint32_t from, std::uint32_t room_id, std::string_view name,
                                    std::uint64_t size, const Sha256& sha256) {
  require_member(conn, from, room_id);
  lock_pair(conn, from, room_id);  // room ids are above every user id: no user pair shares the key
  const auto now = now_ms();
  BeginUploadResult result;
  if (auto found = resume_unfinished(conn, "room_id = $2", from, room_id, name, size, sha256, now)) {
    result.upload = std::move(*found);
    result.resumed = true;
    return result;
  }
  // recipient = the sender and pair_key 0 for a room upload (schema step 5).
  const auto inserted =
      conn.run(fmt::format("INSERT INTO uploads(sender, recipient, pair_key, name, size, sha256, created_ms, "
                           "updated_ms, room_id) VALUES($1, $1, 0, $3, $4, $5, $6, $6, $2) RETURNING {}",
                           kUploadColumns),
               Params{}.add(from).add(room_id).add(name).add(as_int(size)).add_bytes(sha256).add(now));
  if (inserted.empty()) throw StoreError(ErrorCode::internal, "cannot insert upload");
  result.upload = read_upload(inserted, 0);
  return result;
}

std::optional<Upload> find_upload(Connection& conn, std::uint64_t upload_id) {
  const auto result =
      conn.run(fmt::format("SELECT {} FROM uploads WHERE id = $1", kUploadColumns), Params{}.add(as_int(upload_id)));
  if (result.empty()) return std::nullopt;
  return read_upload(result, 0);
}

bool delete_upload(Connection& conn, std::uint64_t upload_id) {
  return conn.run("DELETE FROM uploads WHERE id = $1", Params{}.add(as_int(upload_id))).affected() > 0;
}

PublishResult publish_upload(Connection& conn, std::uint64_t upload_id) {
  // FOR UPDATE: a second publish of the same upload waits, then finds it gone (not_found).
  const auto row = conn.run(fmt::format("SELECT {} FROM uploads WHERE id = $1 FOR UPDATE", kUploadColumns),
                            Params{}.add(as_int(upload_id)));
  if (row.empty()) throw StoreError(ErrorCode::not_found, fmt::format("no upload with id {}", upload_id));
  const Upload upload = read_upload(row, 0);
  const auto now = now_ms();
  const bool in_room = upload.room_id != 0;
  if (in_room) lock_room(conn, upload.room_id, /*exclusive=*/false);  // a fan-out to the members
  Params params;
  params.add(upload.id).add(upload.sender);
  if (in_room) {
    params.add(upload.sender).add(0);
  } else {
    params.add(upload.recipient).add(pair_key(upload.sender, upload.recipient));
  }
  params.add(upload.name).add(as_int(upload.size)).add_bytes(upload.sha256).add(now);
  if (in_room) {
    params.add(upload.room_id);
  } else {
    params.add_null();
  }
  conn.run(
      "INSERT INTO files(id, sender, recipient, pair_key, name, size, sha256, created_ms, room_id) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      params);
  delete_upload(conn, upload_id);

  PublishResult result;
  result.file = published_file(conn, upload_id);
  const auto notice = [&](std::uint32_t user) {
    InboxItem item;
    item.user_id = user;
    item.time_ms = now;
    item.kind = InboxItem::Kind::file;
    item.other_user = upload.sender;
    item.other_nick = result.file.sender_nick;
    item.file = result.file;
    append_inbox_item(conn, item);
    return item;
  };
  if (!in_room) {
    result.item = notice(upload.recipient);
    return result;
  }
  // A room file reaches every member as a file notice (like a room message, not who blocks the sender).
  for (const std::uint32_t user : room_recipients(conn, upload.room_id, upload.sender)) {
    result.room_items.push_back(notice(user));
  }
  return result;
}

std::vector<FileRecord> list_files(Connection& conn, std::uint32_t user_id, std::uint32_t peer) {
  // With a peer the pair_key indexes serve it; without one, the per-party conditions.
  // Room files are the rooms' (list_room_files): pair_key 0 keeps them out of the first form.
  if (peer != 0) {
    return read_file_records(
        conn.run(fmt::format("SELECT * FROM ({}) AS all_files WHERE pair_key = $1 ORDER BY created_ms, id", kAllFiles),
                 Params{}.add(pair_key(user_id, peer))));
  }
  return read_file_records(conn.run(fmt::format("SELECT * FROM ({}) AS all_files WHERE (sender = $1 OR recipient = $1) "
                                                "AND room_id IS NULL ORDER BY created_ms, id",
                                                kAllFiles),
                                    Params{}.add(user_id)));
}

std::vector<FileRecord> list_room_files(Connection& conn, std::uint32_t user_id, std::uint32_t room_id) {
  require_member(conn, user_id, room_id);
  return read_file_records(
      conn.run(fmt::format("SELECT * FROM ({}) AS all_files WHERE room_id = $1 ORDER BY created_ms, id", kAllFiles),
               Params{}.add(room_id)));
}

std::optional<FileRecord> find_file(Connection& conn, std::uint64_t id) {
  const auto result =
      conn.run(fmt::format("SELECT * FROM ({}) AS all_files WHERE id = $1", kAllFiles), Params{}.add(as_int(id)));
  if (result.empty()) return std::nullopt;
  return read_file_record(result, 0);
}

std::vector<Upload> stale_uploads(Connection& conn, std::int64_t cutoff_ms) {
  const auto result =
      conn.run(fmt::format("SELECT {} FROM uploads WHERE updated_ms < $1 ORDER BY id", kUploadColumns),
               Params{}.add(cutoff_ms));
  std::vector<Upload> uploads;
  for (int row = 0; row < result.rows(); ++row) uploads.push_back(read_upload(result, row));
  return uploads;
}

FileRecord published_file(Connection& conn, std::uint64_t id) {
  const auto result =
      conn.run(fmt::format("SELECT * FROM ({}) AS all_files WHERE id = $1 AND state = 0", kAllFiles), Params{}.add(as_int(id)));
  if (result.empty()) throw StoreError(ErrorCode::internal, fmt::format("file {} vanished", id));
  return read_file_record(result, 0);
}

}  // namespace occhat::store::pg
