// Export and import of the dumped tables (occhat/store/dump_tables.hpp) on PostgreSQL.

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "occhat/store/dump_tables.hpp"
#include "queries.hpp"

namespace occhat::store::pg {
namespace {

// Rows per SELECT: libpq holds a whole result in memory, so a big table is read in key order,
// page by page, all in the export's one snapshot.
constexpr int kExportPage = 5000;

std::size_t key_column_count(const DumpTableSpec& spec) {
  return static_cast<std::size_t>(std::count(spec.key.begin(), spec.key.end(), ',')) + 1;
}

DumpValue read_column(const Result& result, int row, int column, DumpColumnType type) {
  if (result.is_null(row, column)) return std::monostate{};
  switch (type) {
    case DumpColumnType::integer:
      return result.integer(row, column);
    case DumpColumnType::text:
      return result.text(row, column);
    case DumpColumnType::blob:
      return DumpBlob{result.bytes(row, column)};
  }
  return std::monostate{};
}

void add_value(Params& params, const DumpValue& value) {
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    params.add(*integer);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    params.add(std::string_view(*text));
  } else if (const auto* blob = std::get_if<DumpBlob>(&value)) {
    params.add_bytes(std::string_view(blob->bytes));
  } else {
    params.add_null();
  }
}

std::string numbered_params(std::size_t from, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += fmt::format("{}${}", i == 0 ? "" : ", ", from + i);
  return text;
}

// Rows per INSERT: one round trip for many rows (a row at a time, a remote database would take
// minutes for a big dump). 256 rows of at most 14 columns stay far below the 65535 parameters
// a statement may have.
constexpr std::size_t kImportBatch = 256;

// INSERT of `rows` rows; ON CONFLICT DO NOTHING: a row already there (its key, or a message's
// client id) is kept.
std::string insert_sql(const DumpTableSpec& spec, std::size_t rows) {
  std::string values;
  for (std::size_t r = 0; r < rows; ++r) {
    values += fmt::format("{}({})", r == 0 ? "" : ", ", numbered_params(r * spec.column_count + 1, spec.column_count));
  }
  return fmt::format("INSERT INTO {}({}) VALUES {} ON CONFLICT DO NOTHING", spec.name, dump_column_list(spec), values);
}

// Inserts `table_rows` of `spec`, kImportBatch rows per statement; adds the rows stored to `added`.
void import_batch(Connection& conn, const DumpTableSpec& spec, const std::vector<DumpRow>& table_rows,
                  std::uint64_t& added) {
  for (std::size_t first = 0; first < table_rows.size(); first += kImportBatch) {
    const auto count = std::min(kImportBatch, table_rows.size() - first);
    Params params;
    for (std::size_t r = first; r < first + count; ++r) {
      for (std::size_t c = 0; c < spec.column_count; ++c) add_value(params, table_rows[r].at(c));
    }
    const Result result = conn.run_allowing_constraints(insert_sql(spec, count), params);
    if (!result.ok()) {
      throw StoreError(ErrorCode::internal,
                       fmt::format("cannot import a row of {} (a reference to a missing record?): {}", spec.name,
                                   result.error_message()));
    }
    added += result.affected();
  }
}

}  // namespace

void export_rows(Connection& conn, const DumpRowSink& sink) {
  for (std::size_t t = 0; t < kDumpTableCount; ++t) {
    const auto& spec = kDumpTables[t];
    const auto keys = key_column_count(spec);  // the key's columns lead every spec
    const std::string columns = dump_column_list(spec);
    const std::string first = fmt::format("SELECT {} FROM {} ORDER BY {} LIMIT {}", columns, spec.name, spec.key,
                                          kExportPage);
    const std::string next = fmt::format("SELECT {} FROM {} WHERE ({}) > ({}) ORDER BY {} LIMIT {}", columns,
                                         spec.name, spec.key, numbered_params(1, keys), spec.key, kExportPage);
    DumpRow row(spec.column_count);
    Params after;
    bool more = true;
    for (bool first_page = true; more; first_page = false) {
      const Result page = first_page ? conn.run(first) : conn.run(next, after);
      for (int r = 0; r < page.rows(); ++r) {
        for (std::size_t c = 0; c < spec.column_count; ++c) {
          row[c] = read_column(page, r, static_cast<int>(c), spec.type(c));
        }
        sink(static_cast<DumpTable>(t), row);
      }
      more = page.rows() == kExportPage;
      if (more) {
        after = Params{};
        for (std::size_t k = 0; k < keys; ++k) after.add(page.integer(page.rows() - 1, static_cast<int>(k)));
      }
    }
  }
}

DumpCounts import_rows(Connection& conn, const DumpRowSource& source, bool merge) {
  if (!merge) {
    const auto users = conn.run("SELECT count(*) FROM users").integer(0, 0);
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
      import_batch(conn, kDumpTables[t], batch[t], counts[t]);
      batch[t].clear();
    }
  }
  // Identity columns do not move when rows bring their own ids: set each past the largest id
  // (greatest with nextval, so a sequence already further on, in a merge, never goes back; and
  // only where there are rows, so an empty table still starts at its first id). File ids are
  // drawn from uploads' identity.
  for (const auto& [sequence_table, max_id] :
       {std::pair<std::string_view, std::string_view>{"messages", "(SELECT max(id) FROM messages)"},
        {"room_messages", "(SELECT max(id) FROM room_messages)"},
        {"rooms", "(SELECT max(id) FROM rooms)"},
        {"uploads", "greatest((SELECT max(id) FROM files), (SELECT max(id) FROM uploads))"}}) {
    conn.exec(fmt::format("SELECT setval(s.name, greatest(m.id, nextval(s.name))) "
                          "FROM (SELECT pg_get_serial_sequence('{}', 'id') AS name) s, (SELECT {} AS id) m "
                          "WHERE m.id IS NOT NULL",
                          sequence_table, max_id));
  }
  return counts;
}

}  // namespace occhat::store::pg
