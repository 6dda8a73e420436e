#pragma once
// The store's tables as export and import see them (occhat-server export/import): a
// backend-neutral row model, so each backend only copies rows of these tables in and out and the
// dump format (JSON lines, server/src/dump_format.*) is written once, above every backend.
//
// What is not here is not exported: sessions (everyone logs in again), unfinished uploads (the
// client starts again) and account events (an operator's signal to a running server).

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace occhat::store {

enum class DumpColumnType { integer, text, blob };

struct DumpColumn {
  std::string_view name;
  DumpColumnType type = DumpColumnType::integer;
};

// The bytes of a BLOB/BYTEA column (kept apart from text, which must be UTF-8).
struct DumpBlob {
  std::string bytes;
  bool operator==(const DumpBlob&) const = default;
};

// One column's value; std::monostate is SQL NULL.
using DumpValue = std::variant<std::monostate, std::int64_t, std::string, DumpBlob>;
using DumpRow = std::vector<DumpValue>;  // one value per column, in DumpTableSpec::columns order

inline constexpr std::size_t kMaxDumpColumns = 14;

struct DumpTableSpec {
  std::string_view name;
  std::array<DumpColumn, kMaxDumpColumns> columns_storage{};
  std::size_t column_count = 0;
  std::string_view key;  // the primary key's columns, comma-separated: export sorts by it

  constexpr std::string_view column(std::size_t i) const { return columns_storage[i].name; }
  constexpr DumpColumnType type(std::size_t i) const { return columns_storage[i].type; }
};

namespace dump_detail {
constexpr DumpColumn i(std::string_view name) { return {name, DumpColumnType::integer}; }
constexpr DumpColumn t(std::string_view name) { return {name, DumpColumnType::text}; }
constexpr DumpColumn b(std::string_view name) { return {name, DumpColumnType::blob}; }
}  // namespace dump_detail

// Indexes into kDumpTables.
enum class DumpTable : std::size_t {
  users,
  friendships,
  friend_requests,
  blocks,
  rooms,
  room_members,
  room_invites,
  messages,
  room_messages,
  files,
  inbox_state,
  inbox,
  friend_request_notices,
  read_markers,
  count_
};

inline constexpr std::size_t kDumpTableCount = static_cast<std::size_t>(DumpTable::count_);

// In an order where every table comes after the tables it references (import inserts in this
// order; export writes in it). Column names are the SQL columns, the same in both backends.
inline constexpr std::array<DumpTableSpec, kDumpTableCount> kDumpTables{{
    {"users",
     {dump_detail::i("id"), dump_detail::t("email"), dump_detail::t("nick"), dump_detail::t("password_hash"),
      dump_detail::i("created_at"), dump_detail::i("disabled"), dump_detail::i("discoverable"),
      dump_detail::i("deleted_ms")},
     8,
     "id"},
    {"friendships", {dump_detail::i("user_id"), dump_detail::i("friend_id"), dump_detail::i("created_ms")}, 3,
     "user_id, friend_id"},
    {"friend_requests", {dump_detail::i("from_id"), dump_detail::i("to_id"), dump_detail::i("created_ms")}, 3,
     "from_id, to_id"},
    {"blocks", {dump_detail::i("blocker"), dump_detail::i("blocked"), dump_detail::i("created_ms")}, 3,
     "blocker, blocked"},
    {"rooms", {dump_detail::i("id"), dump_detail::t("name"), dump_detail::i("owner"), dump_detail::i("created_ms")},
     4, "id"},
    {"room_members",
     {dump_detail::i("room_id"), dump_detail::i("user_id"), dump_detail::i("role"), dump_detail::i("joined_ms"),
      dump_detail::i("first_message_id")},
     5,
     "room_id, user_id"},
    {"room_invites",
     {dump_detail::i("room_id"), dump_detail::i("user_id"), dump_detail::i("inviter"), dump_detail::i("created_ms")},
     4,
     "room_id, user_id"},
    {"messages",
     {dump_detail::i("id"), dump_detail::i("sender"), dump_detail::i("recipient"), dump_detail::i("pair_key"),
      dump_detail::t("text"), dump_detail::i("created_ms"), dump_detail::b("client_msg_id")},
     7,
     "id"},
    {"room_messages",
     {dump_detail::i("id"), dump_detail::i("room_id"), dump_detail::i("sender"), dump_detail::t("text"),
      dump_detail::t("mentions"), dump_detail::i("created_ms"), dump_detail::b("client_msg_id")},
     7,
     "id"},
    {"files",
     {dump_detail::i("id"), dump_detail::i("sender"), dump_detail::i("recipient"), dump_detail::i("pair_key"),
      dump_detail::t("name"), dump_detail::i("size"), dump_detail::b("sha256"), dump_detail::i("created_ms"),
      dump_detail::i("room_id")},
     9,
     "id"},
    {"inbox_state", {dump_detail::i("user_id"), dump_detail::i("last_seq"), dump_detail::i("acked_seq")}, 3,
     "user_id"},
    {"inbox",
     {dump_detail::i("user_id"), dump_detail::i("seq"), dump_detail::i("kind"), dump_detail::i("message_id"),
      dump_detail::i("other_user"), dump_detail::i("accepted"), dump_detail::i("created_ms"),
      dump_detail::i("file_id"), dump_detail::i("room_message_id"), dump_detail::i("room_id"),
      dump_detail::t("room_name"), dump_detail::i("event_kind"), dump_detail::i("subject"), dump_detail::i("role")},
     14,
     "user_id, seq"},
    {"friend_request_notices", {dump_detail::i("to_id"), dump_detail::i("from_id"), dump_detail::i("seq")}, 3,
     "to_id, from_id"},
    {"read_markers", {dump_detail::i("user_id"), dump_detail::i("conversation"), dump_detail::i("last_read_id")}, 3,
     "user_id, conversation"},
}};

constexpr const DumpTableSpec& dump_table(DumpTable table) { return kDumpTables[static_cast<std::size_t>(table)]; }

// Receives exported rows: the table, then one row, tables in kDumpTables order, rows by key.
using DumpRowSink = std::function<void(DumpTable table, const DumpRow& row)>;

// Rows to import, by table (index = DumpTable).
using DumpRows = std::array<std::vector<DumpRow>, kDumpTableCount>;

// Supplies the rows of an import, a batch at a time: appends rows to `batch` (which the store
// empties between calls) and returns true, or returns false when there are no more. A row comes
// no earlier than the rows it references (tables in kDumpTables order): the store inserts each
// batch in table order.
using DumpRowSource = std::function<bool(DumpRows& batch)>;

// How many rows of each table an import added (the others were present already: --merge).
using DumpCounts = std::array<std::uint64_t, kDumpTableCount>;

// The SQL both backends build from a spec: "a, b, c".
inline std::string dump_column_list(const DumpTableSpec& spec) {
  std::string text;
  for (std::size_t c = 0; c < spec.column_count; ++c) {
    if (c != 0) text += ", ";
    text += spec.column(c);
  }
  return text;
}

}  // namespace occhat::store
