#include "dump_format.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <utility>

#include "occhat/proto/sha256.hpp"
#include "occhat/store/store.hpp"

namespace occhat::server::dump {
namespace {

using Json = nlohmann::ordered_json;
using store::DumpBlob;
using store::DumpRow;
using store::DumpTable;
using store::DumpValue;

// Wire values (RoomRole, InboxItem::Kind, RoomEvent::Kind) <-> the names a dump uses.
constexpr std::array<std::string_view, 3> kRoles{"member", "admin", "owner"};
constexpr std::array<std::string_view, 6> kInboxKinds{"", "message", "friend_request", "file", "room_message",
                                                      "room_event"};
constexpr std::array<std::string_view, 9> kEventKinds{"",        "invited",      "joined",  "left",    "removed",
                                                      "role_changed", "renamed", "deleted", "declined"};

template <std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, std::int64_t value) {
  if (value < 0 || static_cast<std::size_t>(value) >= N || names[static_cast<std::size_t>(value)].empty()) return {};
  return names[static_cast<std::size_t>(value)];
}

std::int64_t pair_key(std::int64_t a, std::int64_t b) {
  const auto [low, high] = std::minmax(a, b);
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(low) << 32) | static_cast<std::uint64_t>(high));
}

std::string hex(std::string_view bytes) {
  return proto::to_hex({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

std::optional<std::string> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string bytes(text.size() / 2, '\0');
  std::size_t length = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(), text.size(), nullptr,
                     &length, nullptr) != 0 ||
      length != bytes.size()) {
    return std::nullopt;
  }
  return bytes;
}

// ---- rows -> records ----

std::int64_t integer(const DumpRow& row, std::size_t column) {
  const auto* value = std::get_if<std::int64_t>(&row.at(column));
  return value != nullptr ? *value : 0;
}
bool is_null(const DumpRow& row, std::size_t column) { return std::holds_alternative<std::monostate>(row.at(column)); }
std::string text(const DumpRow& row, std::size_t column) {
  const auto* value = std::get_if<std::string>(&row.at(column));
  return value != nullptr ? *value : std::string();
}
std::string blob(const DumpRow& row, std::size_t column) {
  const auto* value = std::get_if<DumpBlob>(&row.at(column));
  return value != nullptr ? value->bytes : std::string();
}

std::vector<std::int64_t> split_ids(std::string_view text) {
  std::vector<std::int64_t> ids;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    std::int64_t id = 0;
    for (const char c : part) id = id * 10 + (c - '0');
    if (!part.empty()) ids.push_back(id);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return ids;
}

// ---- records -> rows ----

// The fields of one record: each read marks its field used; finish() refuses the rest.
class Fields {
 public:
  Fields(const Json& record, std::string_view type) : record_(record), type_(type) {}

  [[noreturn]] void fail(std::string_view field, std::string_view what) const {
    throw DumpFormatError(fmt::format("{}: \"{}\" {}", type_, field, what));
  }

  const Json* find(std::string_view field) {
    used_.insert(std::string(field));
    const auto it = record_.find(std::string(field));
    return it == record_.end() || it->is_null() ? nullptr : &*it;
  }

  std::optional<std::int64_t> optional_integer(std::string_view field, std::int64_t min = 0,
                                               std::int64_t max = INT64_MAX) {
    const Json* value = find(field);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_integer()) fail(field, "must be an integer");
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      fail(field, "is too large");
    }
    const auto number = value->get<std::int64_t>();
    if (number < min || number > max) fail(field, fmt::format("must be between {} and {}", min, max));
    return number;
  }
  std::int64_t integer(std::string_view field, std::int64_t min = 0, std::int64_t max = INT64_MAX) {
    const auto value = optional_integer(field, min, max);
    if (!value) fail(field, "is missing");
    return *value;
  }
  // Times may be anything a 64-bit integer holds (PyChat's are before 1970 only in theory).
  std::int64_t time(std::string_view field) { return integer(field, INT64_MIN); }
  std::int64_t user(std::string_view field) { return integer(field, store::kMinUserId, store::kMaxUserId); }
  std::int64_t room(std::string_view field) { return integer(field, store::kMinRoomId, UINT32_MAX); }
  std::int64_t id(std::string_view field) { return integer(field, 1); }

  std::optional<std::string> optional_text(std::string_view field) {
    const Json* value = find(field);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) fail(field, "must be a string");
    return value->get<std::string>();
  }
  std::string text(std::string_view field) {
    auto value = optional_text(field);
    if (!value) fail(field, "is missing");
    return std::move(*value);
  }
  bool boolean(std::string_view field) {
    const Json* value = find(field);
    if (value == nullptr) return false;
    if (!value->is_boolean()) fail(field, "must be true or false");
    return value->get<bool>();
  }
  template <std::size_t N>
  std::optional<std::int64_t> optional_name(std::string_view field, const std::array<std::string_view, N>& names) {
    const auto value = optional_text(field);
    if (!value) return std::nullopt;
    for (std::size_t i = 0; i < N; ++i) {
      if (!names[i].empty() && names[i] == *value) return static_cast<std::int64_t>(i);
    }
    fail(field, fmt::format("names no known value: \"{}\"", *value));
  }
  DumpValue optional_hex(std::string_view field) {
    const auto value = optional_text(field);
    if (!value) return std::monostate{};
    auto bytes = from_hex(*value);
    if (!bytes) fail(field, "must be hexadecimal");
    return DumpBlob{std::move(*bytes)};
  }

  void finish() const {
    for (const auto& [key, value] : record_.items()) {
      if (key != "type" && !used_.contains(key)) throw DumpFormatError(fmt::format("{}: unknown field \"{}\"", type_, key));
    }
  }

 private:
  const Json& record_;
  std::string_view type_;
  std::set<std::string, std::less<>> used_;
};

DumpValue optional(std::optional<std::int64_t> value) {
  if (!value) return std::monostate{};
  return *value;
}

void add(store::DumpRows& rows, DumpTable table, DumpRow row) {
  rows[static_cast<std::size_t>(table)].push_back(std::move(row));
}

}  // namespace

Json header_record(std::string_view source, int schema_version, std::int64_t exported_at_ms) {
  return Json{{"format", kFormatName},
              {"version", kFormatVersion},
              {"exported_at_ms", exported_at_ms},
              {"source", source},
              {"schema", schema_version}};
}

void check_header(const Json& header) {
  if (!header.is_object() || header.value("format", "") != kFormatName) {
    throw DumpFormatError(fmt::format("not an occhat dump: the first line must be a header with \"format\":\"{}\"",
                                      kFormatName));
  }
  const auto version = header.find("version");
  if (version == header.end() || !version->is_number_integer() || version->get<std::int64_t>() != kFormatVersion) {
    throw DumpFormatError(fmt::format("dump format version {} is not one this server reads (it reads version {})",
                                      version == header.end() ? std::string("(none)") : version->dump(),
                                      kFormatVersion));
  }
}

std::string_view record_type(DumpTable table) {
  static constexpr std::array<std::string_view, store::kDumpTableCount> kTypes{
      "user",          "friendship",   "friend_request", "block", "room",        "room_member",
      "room_invite",   "message",      "room_message",   "file",  "inbox_state", "inbox_item",
      "friend_request_notice", "read_marker"};
  return kTypes[static_cast<std::size_t>(table)];
}

Json row_record(DumpTable table, const DumpRow& row) {
  Json r{{"type", record_type(table)}};
  switch (table) {
    case DumpTable::users:
      r["id"] = integer(row, 0);
      r["email"] = text(row, 1);
      r["nick"] = text(row, 2);
      r["password_hash"] = text(row, 3);
      r["created_at"] = integer(row, 4);
      r["disabled"] = integer(row, 5) != 0;
      r["discoverable"] = integer(row, 6) != 0;
      if (!is_null(row, 7)) r["deleted_ms"] = integer(row, 7);
      break;
    case DumpTable::friendships:
      // Stored once per direction; written once per friendship.
      if (integer(row, 0) > integer(row, 1)) return Json();
      r["users"] = Json::array({integer(row, 0), integer(row, 1)});
      r["created_ms"] = integer(row, 2);
      break;
    case DumpTable::friend_requests:
      r["from"] = integer(row, 0);
      r["to"] = integer(row, 1);
      r["created_ms"] = integer(row, 2);
      break;
    case DumpTable::blocks:
      r["blocker"] = integer(row, 0);
      r["blocked"] = integer(row, 1);
      r["created_ms"] = integer(row, 2);
      break;
    case DumpTable::rooms:
      r["id"] = integer(row, 0);
      r["name"] = text(row, 1);
      r["owner"] = integer(row, 2);
      r["created_ms"] = integer(row, 3);
      break;
    case DumpTable::room_members:
      r["room"] = integer(row, 0);
      r["user"] = integer(row, 1);
      r["role"] = name_of(kRoles, integer(row, 2));
      r["joined_ms"] = integer(row, 3);
      r["first_message_id"] = integer(row, 4);
      break;
    case DumpTable::room_invites:
      r["room"] = integer(row, 0);
      r["user"] = integer(row, 1);
      r["inviter"] = integer(row, 2);
      r["created_ms"] = integer(row, 3);
      break;
    case DumpTable::messages:
      r["id"] = integer(row, 0);
      r["from"] = integer(row, 1);
      r["to"] = integer(row, 2);
      r["text"] = text(row, 4);
      r["time_ms"] = integer(row, 5);
      if (!is_null(row, 6)) r["client_msg_id"] = hex(blob(row, 6));
      break;
    case DumpTable::room_messages:
      r["id"] = integer(row, 0);
      r["room"] = integer(row, 1);
      r["from"] = integer(row, 2);
      r["text"] = text(row, 3);
      if (!is_null(row, 4)) r["mentions"] = split_ids(text(row, 4));
      r["time_ms"] = integer(row, 5);
      if (!is_null(row, 6)) r["client_msg_id"] = hex(blob(row, 6));
      break;
    case DumpTable::files:
      r["id"] = integer(row, 0);
      r["from"] = integer(row, 1);
      if (is_null(row, 8)) {
        r["to"] = integer(row, 2);
      } else {
        r["room"] = integer(row, 8);
      }
      r["name"] = text(row, 4);
      r["size"] = integer(row, 5);
      r["sha256"] = hex(blob(row, 6));
      r["time_ms"] = integer(row, 7);
      break;
    case DumpTable::inbox_state:
      r["user"] = integer(row, 0);
      r["last_seq"] = integer(row, 1);
      r["acked_seq"] = integer(row, 2);
      break;
    case DumpTable::inbox: {
      r["user"] = integer(row, 0);
      r["seq"] = integer(row, 1);
      r["kind"] = name_of(kInboxKinds, integer(row, 2));
      r["time_ms"] = integer(row, 6);
      r["other_user"] = integer(row, 4);
      if (!is_null(row, 3)) r["message_id"] = integer(row, 3);
      if (integer(row, 5) != 0) r["accepted"] = true;
      if (!is_null(row, 7)) r["file_id"] = integer(row, 7);
      if (!is_null(row, 8)) r["room_message_id"] = integer(row, 8);
      if (!is_null(row, 9)) r["room"] = integer(row, 9);
      if (!is_null(row, 10)) r["room_name"] = text(row, 10);
      if (!is_null(row, 11)) r["event"] = name_of(kEventKinds, integer(row, 11));
      if (!is_null(row, 12)) r["subject"] = integer(row, 12);
      if (!is_null(row, 13)) r["role"] = name_of(kRoles, integer(row, 13));
      break;
    }
    case DumpTable::friend_request_notices:
      r["to"] = integer(row, 0);
      r["from"] = integer(row, 1);
      r["seq"] = integer(row, 2);
      break;
    case DumpTable::read_markers:
      r["user"] = integer(row, 0);
      r["conversation"] = integer(row, 1);
      r["last_read_id"] = integer(row, 2);
      break;
    case DumpTable::count_:
      break;
  }
  return r;
}

void add_record_rows(const Json& record, store::DumpRows& rows) {
  if (!record.is_object()) throw DumpFormatError("a record must be a JSON object");
  const auto type_field = record.find("type");
  if (type_field == record.end() || !type_field->is_string()) throw DumpFormatError("a record needs a \"type\"");
  const auto type = type_field->get<std::string>();
  Fields f(record, type);
  if (type == "user") {
    DumpRow row{f.user("id"),       f.text("email"),      f.text("nick"),
                f.text("password_hash"), f.time("created_at"), std::int64_t{f.boolean("disabled")},
                std::int64_t{f.boolean("discoverable")}, optional(f.optional_integer("deleted_ms", INT64_MIN))};
    add(rows, DumpTable::users, std::move(row));
  } else if (type == "friendship") {
    const Json* users = f.find("users");
    if (users == nullptr || !users->is_array() || users->size() != 2 || !(*users)[0].is_number_integer() ||
        !(*users)[1].is_number_integer()) {
      f.fail("users", "must be [a, b], two user ids");
    }
    const auto a = (*users)[0].get<std::int64_t>();
    const auto b = (*users)[1].get<std::int64_t>();
    if (a == b || a < store::kMinUserId || a > store::kMaxUserId || b < store::kMinUserId || b > store::kMaxUserId) {
      f.fail("users", "must be two different user ids");
    }
    const auto created = f.time("created_ms");
    add(rows, DumpTable::friendships, {a, b, created});
    add(rows, DumpTable::friendships, {b, a, created});
  } else if (type == "friend_request") {
    add(rows, DumpTable::friend_requests, {f.user("from"), f.user("to"), f.time("created_ms")});
  } else if (type == "block") {
    add(rows, DumpTable::blocks, {f.user("blocker"), f.user("blocked"), f.time("created_ms")});
  } else if (type == "room") {
    add(rows, DumpTable::rooms, {f.room("id"), f.text("name"), f.user("owner"), f.time("created_ms")});
  } else if (type == "room_member") {
    const auto role = f.optional_name("role", kRoles);
    if (!role) f.fail("role", "is missing");
    add(rows, DumpTable::room_members,
        {f.room("room"), f.user("user"), *role, f.time("joined_ms"), f.integer("first_message_id")});
  } else if (type == "room_invite") {
    add(rows, DumpTable::room_invites, {f.room("room"), f.user("user"), f.user("inviter"), f.time("created_ms")});
  } else if (type == "message") {
    const auto id = f.id("id");
    const auto from = f.user("from");
    const auto to = f.user("to");
    add(rows, DumpTable::messages,
        {id, from, to, pair_key(from, to), f.text("text"), f.time("time_ms"), f.optional_hex("client_msg_id")});
  } else if (type == "room_message") {
    const auto id = f.id("id");
    const auto room = f.room("room");
    const auto from = f.user("from");
    auto text_value = f.text("text");
    DumpValue mentions = std::monostate{};
    if (const Json* list = f.find("mentions")) {
      if (!list->is_array()) f.fail("mentions", "must be a list of user ids");
      std::string joined;
      for (const auto& entry : *list) {
        if (!entry.is_number_integer() || entry.get<std::int64_t>() < store::kMinUserId ||
            entry.get<std::int64_t>() > store::kMaxUserId) {
          f.fail("mentions", "must be a list of user ids");
        }
        if (!joined.empty()) joined += ',';
        joined += std::to_string(entry.get<std::int64_t>());
      }
      if (!joined.empty()) mentions = joined;
    }
    add(rows, DumpTable::room_messages,
        {id, room, from, std::move(text_value), mentions, f.time("time_ms"), f.optional_hex("client_msg_id")});
  } else if (type == "file") {
    const auto id = f.id("id");
    const auto from = f.user("from");
    const auto to = f.optional_integer("to", store::kMinUserId, store::kMaxUserId);
    const auto room = f.optional_integer("room", store::kMinRoomId, UINT32_MAX);
    if (to.has_value() == room.has_value()) f.fail("to", "or \"room\" must be given, not both");
    auto name = f.text("name");
    const auto size = f.integer("size");
    const auto sha_text = f.text("sha256");
    proto::Sha256Digest sha{};
    if (!proto::sha256_from_hex(sha_text, sha)) f.fail("sha256", "must be 64 hexadecimal digits");
    // A room file names its sender as recipient and no pair (see the schema's rooms step).
    add(rows, DumpTable::files,
        {id, from, to ? *to : from, to ? pair_key(from, *to) : 0, std::move(name), size,
         DumpBlob{std::string(sha.begin(), sha.end())}, f.time("time_ms"), optional(room)});
  } else if (type == "inbox_state") {
    const auto user = f.user("user");
    const auto last = f.integer("last_seq");
    const auto acked = f.integer("acked_seq");
    if (acked > last) f.fail("acked_seq", "must not be above last_seq");
    add(rows, DumpTable::inbox_state, {user, last, acked});
  } else if (type == "inbox_item") {
    const auto user = f.user("user");
    const auto seq = f.id("seq");
    const auto kind = f.optional_name("kind", kInboxKinds);
    if (!kind) f.fail("kind", "is missing");
    const auto time = f.time("time_ms");
    const auto other = f.integer("other_user", 0, UINT32_MAX);
    const auto message_id = f.optional_integer("message_id", 1);
    const bool accepted = f.boolean("accepted");
    const auto file_id = f.optional_integer("file_id", 1);
    const auto room_message_id = f.optional_integer("room_message_id", 1);
    const auto room = f.optional_integer("room", store::kMinRoomId, UINT32_MAX);
    const auto room_name = f.optional_text("room_name");
    const auto event = f.optional_name("event", kEventKinds);
    const auto subject = f.optional_integer("subject", 0, UINT32_MAX);
    const auto role = f.optional_name("role", kRoles);
    // What each kind needs to be shown (the rest is optional).
    switch (*kind) {
      case 1:
        if (!message_id) f.fail("message_id", "is missing (kind message)");
        break;
      case 3:
        if (!file_id) f.fail("file_id", "is missing (kind file)");
        break;
      case 4:
        if (!room_message_id || !room) f.fail("room_message_id", "and \"room\" are needed (kind room_message)");
        break;
      case 5:
        if (!event || !room) f.fail("event", "and \"room\" are needed (kind room_event)");
        break;
      default:
        break;
    }
    add(rows, DumpTable::inbox,
        {user, seq, *kind, optional(message_id), other, std::int64_t{accepted}, time, optional(file_id),
         optional(room_message_id), optional(room), room_name ? DumpValue{*room_name} : DumpValue{std::monostate{}},
         optional(event), optional(subject), optional(role)});
  } else if (type == "friend_request_notice") {
    add(rows, DumpTable::friend_request_notices, {f.user("to"), f.user("from"), f.id("seq")});
  } else if (type == "read_marker") {
    add(rows, DumpTable::read_markers, {f.user("user"), f.integer("conversation", 1, UINT32_MAX),
                                        f.integer("last_read_id")});
  } else {
    throw DumpFormatError(fmt::format("unknown record type \"{}\"", type));
  }
  f.finish();
}

std::string to_base64(std::string_view bytes) {
  std::string text(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(text.data(), text.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  text.resize(text.size() - 1);  // the terminating NUL
  return text;
}

std::string from_base64(std::string_view text) {
  std::string bytes(text.size() / 4 * 3 + 3, '\0');
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(), text.size(),
                        nullptr, &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    throw DumpFormatError("file_data: \"data\" is not base64");
  }
  bytes.resize(length);
  return bytes;
}

std::string json_line(const Json& record) { return record.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace occhat::server::dump
