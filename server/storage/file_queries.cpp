// Files: unfinished uploads (resumable by their key), publishing, listing and lookups.

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "queries.hpp"

namespace occhat::store::sqlite {
namespace {

std::int64_t pair_key(std::uint32_t a, std::uint32_t b) {
  const auto [low, high] = std::minmax(a, b);
  return static_cast<std::int64_t>((std::uint64_t{low} << 32) | high);
}

// Sizes and ids travel as uint64 on the wire; SQLite integers are signed 64-bit. Real values
// (<= the size limit, autoincrement ids) are far below 2^63; anything above matches nothing.
std::int64_t as_int(std::uint64_t value) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(value, std::numeric_limits<std::int64_t>::max()));
}

Sha256 column_sha(Statement& stmt, int index) {
  Sha256 digest{};
  const auto bytes = stmt.column_blob(index);
  std::memcpy(digest.data(), bytes.data(), std::min(bytes.size(), digest.size()));
  return digest;
}

constexpr const char* kUploadColumns = "id, sender, recipient, name, size, sha256, created_ms, updated_ms, room_id";

Upload read_upload(Statement& stmt) {
  Upload upload;
  upload.id = static_cast<std::uint64_t>(stmt.column_int(0));
  upload.sender = static_cast<std::uint32_t>(stmt.column_int(1));
  upload.recipient = static_cast<std::uint32_t>(stmt.column_int(2));
  upload.name = stmt.column_text(3);
  upload.size = static_cast<std::uint64_t>(stmt.column_int(4));
  upload.sha256 = column_sha(stmt, 5);
  upload.created_ms = stmt.column_int(6);
  upload.updated_ms = stmt.column_int(7);
  upload.room_id = static_cast<std::uint32_t>(stmt.column_int(8));
  if (upload.room_id != 0) upload.recipient = 0;  // stored as the sender (see schema step 5)
  return upload;
}

// Both tables as one relation of FileRecord columns: id, name, size, sha256, sender, recipient
// (0 for a room file), sender nick, time, state, pair_key, room_id, room name.
constexpr const char* kAllFiles =
    "SELECT f.id, f.name, f.size, f.sha256, f.sender, iif(f.room_id IS NULL, f.recipient, 0) AS recipient, u.nick, "
    "       f.created_ms, 0 AS state, f.pair_key, f.room_id, r.name AS room_name "
    "FROM files f JOIN users u ON u.id = f.sender LEFT JOIN rooms r ON r.id = f.room_id "
    "UNION ALL "
    "SELECT p.id, p.name, p.size, p.sha256, p.sender, iif(p.room_id IS NULL, p.recipient, 0), u.nick, "
    "       p.created_ms, 1 AS state, p.pair_key, p.room_id, r.name "
    "FROM uploads p JOIN users u ON u.id = p.sender LEFT JOIN rooms r ON r.id = p.room_id";

// The sender's oldest unfinished upload of the same bytes to the same destination
// (`destination` matches ?2: a recipient or a room), with its name and updated time refreshed:
// what a re-run of the same upload continues.
std::optional<Upload> resume_unfinished(Database& db, std::string_view destination, std::uint32_t from,
                                        std::uint32_t to, std::string_view name, std::uint64_t size,
                                        const Sha256& sha256, std::int64_t now) {
  Statement existing(db, fmt::format("UPDATE uploads SET name = ?5, updated_ms = ?6 "
                                     "WHERE id = (SELECT id FROM uploads WHERE sender = ?1 AND {} "
                                     "AND size = ?3 AND sha256 = ?4 ORDER BY id LIMIT 1) RETURNING {}",
                                     destination, kUploadColumns));
  existing.bind(1, std::int64_t{from}).bind(2, std::int64_t{to}).bind(3, as_int(size)).bind_blob(4, sha256);
  existing.bind(5, name).bind(6, now);
  if (!existing.step()) return std::nullopt;
  Upload upload = read_upload(existing);
  while (existing.step()) {
  }
  return upload;
}

FileRecord read_file_record(Statement& stmt) {
  FileRecord file;
  file.id = static_cast<std::uint64_t>(stmt.column_int(0));
  file.name = stmt.column_text(1);
  file.size = static_cast<std::uint64_t>(stmt.column_int(2));
  file.sha256 = column_sha(stmt, 3);
  file.sender = static_cast<std::uint32_t>(stmt.column_int(4));
  file.recipient = static_cast<std::uint32_t>(stmt.column_int(5));
  file.sender_nick = stmt.column_text(6);
  file.time_ms = stmt.column_int(7);
  file.state = static_cast<FileRecord::State>(stmt.column_int(8));
  file.room_id = static_cast<std::uint32_t>(stmt.column_int(10));
  file.room_name = stmt.column_text(11);
  return file;
}

}  // namespace

BeginUploadResult begin_upload(Database& db, std::uint32_t from, std::uint32_t to, std::string_view name,
                               std::uint64_t size, const Sha256& sha256) {
  require_user(db, to);
  if (!are_friends(db, from, to)) throw StoreError(ErrorCode::not_allowed, fmt::format("{} is not your friend", to));
  const auto now = now_ms();
  BeginUploadResult result;
  if (auto found = resume_unfinished(db, "recipient = ?2 AND room_id IS NULL", from, to, name, size, sha256, now)) {
    result.upload = std::move(*found);
    result.resumed = true;
    return result;
  }
  Statement insert(db, fmt::format("INSERT INTO uploads(sender, recipient, pair_key, name, size, sha256, created_ms, "
                                   "updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING {}",
                                   kUploadColumns));
  insert.bind(1, std::int64_t{from}).bind(2, std::int64_t{to}).bind(3, pair_key(from, to)).bind(4, name);
  insert.bind(5, as_int(size)).bind_blob(6, sha256).bind(7, now);
  if (!insert.step()) throw StoreError(ErrorCode::internal, "cannot insert upload");
  result.upload = read_upload(insert);
  while (insert.step()) {
  }
  return result;
}

std::optional<Upload> find_upload(Database& db, std::uint64_t upload_id) {
  Statement stmt(db, fmt::format("SELECT {} FROM uploads WHERE id = ?1", kUploadColumns));
  stmt.bind(1, as_int(upload_id));
  if (!stmt.step()) return std::nullopt;
  return read_upload(stmt);
}

bool delete_upload(Database& db, std::uint64_t upload_id) {
  Statement stmt(db, "DELETE FROM uploads WHERE id = ?1");
  stmt.bind(1, as_int(upload_id));
  stmt.step();
  return db.changes() > 0;
}

FileRecord published_file(Database& db, std::uint64_t id) {
  Statement stmt(db, fmt::format("SELECT * FROM ({}) WHERE id = ?1 AND state = 0", kAllFiles));
  stmt.bind(1, as_int(id));
  if (!stmt.step()) throw StoreError(ErrorCode::internal, fmt::format("file {} vanished", id));
  return read_file_record(stmt);
}

PublishResult publish_upload(Database& db, std::uint64_t upload_id) {
  const auto upload = find_upload(db, upload_id);
  if (!upload) throw StoreError(ErrorCode::not_found, fmt::format("no upload with id {}", upload_id));
  const auto now = now_ms();
  const bool in_room = upload->room_id != 0;
  Statement insert(db,
                   "INSERT INTO files(id, sender, recipient, pair_key, name, size, sha256, created_ms, room_id) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  insert.bind(1, as_int(upload->id)).bind(2, std::int64_t{upload->sender});
  if (in_room) {
    insert.bind(3, std::int64_t{upload->sender}).bind(4, std::int64_t{0}).bind(9, std::int64_t{upload->room_id});
  } else {
    insert.bind(3, std::int64_t{upload->recipient}).bind(4, pair_key(upload->sender, upload->recipient));
  }
  insert.bind(5, upload->name).bind(6, as_int(upload->size));
  insert.bind_blob(7, upload->sha256).bind(8, now);
  insert.step();
  delete_upload(db, upload_id);

  PublishResult result;
  result.file = published_file(db, upload_id);
  const auto notice = [&](std::uint32_t user) {
    InboxItem item;
    item.user_id = user;
    item.time_ms = now;
    item.kind = InboxItem::Kind::file;
    item.other_user = upload->sender;
    item.other_nick = result.file.sender_nick;
    item.file = result.file;
    append_inbox_item(db, item);
    return item;
  };
  if (!in_room) {
    result.item = notice(upload->recipient);
    return result;
  }
  // A room file reaches every member as a file notice (like a room message, not who blocks the sender).
  for (const std::uint32_t user : room_recipients(db, upload->room_id, upload->sender)) {
    result.room_items.push_back(notice(user));
  }
  return result;
}

BeginUploadResult begin_room_upload(Database& db, std::uint32_t from, std::uint32_t room_id, std::string_view name,
                                    std::uint64_t size, const Sha256& sha256) {
  require_member(db, from, room_id);
  const auto now = now_ms();
  BeginUploadResult result;
  if (auto found = resume_unfinished(db, "room_id = ?2", from, room_id, name, size, sha256, now)) {
    result.upload = std::move(*found);
    result.resumed = true;
    return result;
  }
  // recipient = the sender and pair_key 0 for a room upload (schema step 5).
  Statement insert(db, fmt::format("INSERT INTO uploads(sender, recipient, pair_key, name, size, sha256, created_ms, "
                                   "updated_ms, room_id) VALUES(?1, ?1, 0, ?3, ?4, ?5, ?6, ?6, ?2) RETURNING {}",
                                   kUploadColumns));
  insert.bind(1, std::int64_t{from}).bind(2, std::int64_t{room_id}).bind(3, name);
  insert.bind(4, as_int(size)).bind_blob(5, sha256).bind(6, now);
  if (!insert.step()) throw StoreError(ErrorCode::internal, "cannot insert upload");
  result.upload = read_upload(insert);
  while (insert.step()) {
  }
  return result;
}

std::vector<FileRecord> list_room_files(Database& db, std::uint32_t user_id, std::uint32_t room_id) {
  require_member(db, user_id, room_id);
  Statement stmt(db, fmt::format("SELECT * FROM ({}) WHERE room_id = ?1 ORDER BY created_ms, id", kAllFiles));
  stmt.bind(1, std::int64_t{room_id});
  std::vector<FileRecord> files;
  while (stmt.step()) files.push_back(read_file_record(stmt));
  return files;
}

std::vector<FileRecord> list_files(Database& db, std::uint32_t user_id, std::uint32_t peer) {
  // With a peer the pair_key indexes serve it; without one, the per-party conditions.
  // Room files are the rooms' (list_room_files): pair_key 0 keeps them out of the first form.
  const std::string where = peer != 0 ? "pair_key = ?2" : "(sender = ?1 OR recipient = ?1) AND room_id IS NULL";
  Statement stmt(db, fmt::format("SELECT * FROM ({}) WHERE {} ORDER BY created_ms, id", kAllFiles, where));
  if (peer != 0) {
    stmt.bind(2, pair_key(user_id, peer));
  } else {
    stmt.bind(1, std::int64_t{user_id});
  }
  std::vector<FileRecord> files;
  while (stmt.step()) files.push_back(read_file_record(stmt));
  return files;
}

std::optional<FileRecord> find_file(Database& db, std::uint64_t id) {
  Statement stmt(db, fmt::format("SELECT * FROM ({}) WHERE id = ?1", kAllFiles));
  stmt.bind(1, as_int(id));
  if (!stmt.step()) return std::nullopt;
  return read_file_record(stmt);
}

std::vector<Upload> stale_uploads(Database& db, std::int64_t cutoff_ms) {
  Statement stmt(db, fmt::format("SELECT {} FROM uploads WHERE updated_ms < ?1 ORDER BY id", kUploadColumns));
  stmt.bind(1, cutoff_ms);
  std::vector<Upload> uploads;
  while (stmt.step()) uploads.push_back(read_upload(stmt));
  return uploads;
}

}  // namespace occhat::store::sqlite
