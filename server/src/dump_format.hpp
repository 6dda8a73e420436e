#pragma once
// The occhat-dump format (JSON lines; the README's "Export, import and backups" documents it):
// the one mapping between the store's rows (occhat/store/dump_tables.hpp) and the records of a
// dump, used by export and import alike, whichever backend is behind them.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "occhat/store/dump_tables.hpp"

namespace occhat::server::dump {

inline constexpr std::string_view kFormatName = "occhat-dump";
inline constexpr int kFormatVersion = 1;
// Raw bytes per file_data line (64 KiB of base64).
inline constexpr std::size_t kFileDataChunk = 48 * 1024;

// A dump that cannot be read: the message says what is wrong (the reader adds the line).
class DumpFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The first line. `source` names the backend ("sqlite", "postgresql").
nlohmann::ordered_json header_record(std::string_view source, int schema_version, std::int64_t exported_at_ms);
// Throws DumpFormatError unless `header` is a version-1 occhat-dump header.
void check_header(const nlohmann::ordered_json& header);

// The record of one row, or null JSON when the row is written by another (a friendship's
// second direction).
nlohmann::ordered_json row_record(store::DumpTable table, const store::DumpRow& row);

// Adds the rows `record` stands for (a friendship is two) to `rows`. file_data, header and end
// records are the reader's own business; any other "type" throws DumpFormatError, as does a
// missing, unknown or mistyped field.
void add_record_rows(const nlohmann::ordered_json& record, store::DumpRows& rows);

// The record type's name for a table ("user" for users), as in summaries.
std::string_view record_type(store::DumpTable table);

// base64 (RFC 4648, with padding), for file_data.
std::string to_base64(std::string_view bytes);
// Throws DumpFormatError on anything that is not base64.
std::string from_base64(std::string_view text);

// One JSON line: invalid UTF-8 (never stored, but never a crash either) becomes U+FFFD.
std::string json_line(const nlohmann::ordered_json& record);

}  // namespace occhat::server::dump
