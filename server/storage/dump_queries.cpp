// Export and import of the dumped tables (occhat/store/dump_tables.hpp) on SQLite.

#include <fmt/format.h>

#include <span>

#include "occhat/store/dump_tables.hpp"
#include "queries.hpp"

namespace occhat::store::sqlite {
namespace {

std::span<const std::uint8_t> as_bytes(const std::string& bytes) {
  return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

DumpValue read_column(const Statement& stmt, int index, DumpColumnType type) {
  if (stmt.column_is_null(index)) return std::monostate{};
  switch (type) {
    case DumpColumnType::integer:
      return stmt.column_int(index);
    case DumpColumnType::text:
      return stmt.column_text(index);
    case DumpColumnType::blob: {
      const auto bytes = stmt.column_blob(index);
      return DumpBlob{std::string(bytes.begin(), bytes.end())};
    }
  }
  return std::monostate{};
}

void bind_value(Statement& stmt, int index, const DumpValue& value) {
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    stmt.bind(index, *integer);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    stmt.bind(index, std::string_view(*text));
  } else if (const auto* blob = std::get_if<DumpBlob>(&value)) {
    stmt.bind_blob(index, as_bytes(blob->bytes));
  } else {
    stmt.bind_null(index);
  }
}

std::string insert_sql(const DumpTableSpec& spec) {
  std::string values;
  for (std::size_t c = 0; c < spec.column_count; ++c) values += fmt::format("{}?{}", c == 0 ? "" : ", ", c + 1);
  // ON CONFLICT DO NOTHING: a row already there (its key, or a message's client id) is kept.
  return fmt::format("INSERT INTO {}({}) VALUES({}) ON CONFLICT DO NOTHING", spec.name, dump_column_list(spec),
                     values);
}

}  // namespace

void export_rows(Database& db, const DumpRowSink& sink) {
  for (std::size_t t = 0; t < kDumpTableCount; ++t) {
    const auto& spec = kDumpTables[t];
    Statement select(db, fmt::format("SELECT {} FROM {} ORDER BY {}", dump_column_list(spec), spec.name, spec.key));
    DumpRow row(spec.column_count);
    while (select.step()) {
      for (std::size_t c = 0; c < spec.column_count; ++c) {
        row[c] = read_column(select, static_cast<int>(c), spec.type(c));
      }
      sink(static_cast<DumpTable>(t), row);
    }
  }
}

DumpCounts import_rows(Database& db, const DumpRowSource& source, bool merge) {
  if (!merge) {
    const auto users = db.query_int("SELECT count(*) FROM users");
    if (users != 0) {
      throw StoreError(ErrorCode::not_allowed,
                       fmt::format("the store is not empty ({} accounts): import loads into an empty store "
                                   "(add --merge to add to this one)",
                                   users));
    }
  }
  DumpCounts counts{};
  DumpRows batch;
  while (source(batch)) {
    for (std::size_t t = 0; t < kDumpTableCount; ++t) {
      const auto& spec = kDumpTables[t];
      if (batch[t].empty()) continue;
      Statement insert(db, insert_sql(spec));
      for (const auto& row : batch[t]) {
        for (std::size_t c = 0; c < spec.column_count; ++c) bind_value(insert, static_cast<int>(c + 1), row.at(c));
        insert.step(/*constraint_ok=*/true);
        if (insert.constraint_failed() != 0) {
          db.fail(fmt::format("cannot import a row of {} (a reference to a missing record?)", spec.name));
        }
        counts[t] += static_cast<std::uint64_t>(db.changes());
        insert.reset();
      }
      batch[t].clear();
    }
  }
  // Explicit ids in AUTOINCREMENT tables move their sequences by themselves; file ids are drawn
  // from uploads' sequence, which inserting files does not touch.
  db.exec(
      "INSERT INTO sqlite_sequence(name, seq) SELECT 'uploads', 0 "
      "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'uploads');"
      "UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(id), 0) FROM files)) WHERE name = 'uploads';");
  return counts;
}

}  // namespace occhat::store::sqlite
