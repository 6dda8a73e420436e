#include "dump_export.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

#include "dump_format.hpp"

namespace occhat::server::dump {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The bytes of published file `id` as file_data lines; false (nothing written) if the file is
// not there with `size` bytes (a room deleted since the snapshot removed it).
bool write_file_data(std::ostream& out, const std::filesystem::path& path, std::uint64_t id, std::uint64_t size,
                     ExportSummary& summary) {
  std::error_code error;
  if (std::filesystem::file_size(path, error) != size || error) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string chunk(kFileDataChunk, '\0');
  std::uint64_t offset = 0;
  while (offset < size) {
    const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(kFileDataChunk, size - offset));
    in.read(chunk.data(), want);
    if (in.gcount() != want) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
    out << json_line({{"type", "file_data"},
                      {"file", id},
                      {"offset", offset},
                      {"data", to_base64(std::string_view(chunk.data(), static_cast<std::size_t>(want)))}})
        << '\n';
    offset += static_cast<std::uint64_t>(want);
    ++summary.records;
  }
  summary.file_bytes += size;
  return true;
}

}  // namespace

ExportSummary export_dump(store::Store& store, std::ostream& out, const ExportOptions& options) {
  ExportSummary summary;
  out << json_line(header_record(options.source, store.schema_version(), now_ms())) << '\n';
  store.export_rows([&](store::DumpTable table, const store::DumpRow& row) {
    ++summary.rows[static_cast<std::size_t>(table)];
    const auto record = row_record(table, row);
    if (record.is_null()) return;
    out << json_line(record) << '\n';
    ++summary.records;
    if (table != store::DumpTable::files || !options.files_dir) return;
    // Read inside the snapshot: a file's bytes are on disk before its row commits and never
    // change, so every file the snapshot names is there unless its room was deleted since.
    const auto id = static_cast<std::uint64_t>(record["id"].get<std::int64_t>());
    const auto size = static_cast<std::uint64_t>(record["size"].get<std::int64_t>());
    if (!write_file_data(out, *options.files_dir / "published" / std::to_string(id), id, size, summary)) {
      summary.files_without_bytes.push_back(id);
    }
  });
  out << json_line({{"type", "end"}, {"records", summary.records}}) << '\n';
  out.flush();
  if (!out) throw std::runtime_error("cannot write the dump (disk full or the pipe closed?)");
  return summary;
}

}  // namespace occhat::server::dump
