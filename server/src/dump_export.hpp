#pragma once
// occhat-server export: the store's rows as an occhat dump (dump_format.hpp) on a stream, read in
// one snapshot, with each published file's bytes after its record when a files directory is given.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "occhat/store/store.hpp"

namespace occhat::server::dump {

struct ExportOptions {
  std::string source;                               // the header's "source": "sqlite", "postgresql"
  std::optional<std::filesystem::path> files_dir;   // holds published/; nullopt: records only
};

struct ExportSummary {
  store::DumpCounts rows{};           // rows read per table
  std::uint64_t records = 0;          // record lines written (header and end not counted)
  std::uint64_t file_bytes = 0;       // bytes of files written
  std::vector<std::uint64_t> files_without_bytes;  // published files whose bytes were missing
};

// Writes the dump to `out`. Throws StoreError from the store, std::runtime_error when a file
// cannot be read or `out` fails.
ExportSummary export_dump(store::Store& store, std::ostream& out, const ExportOptions& options);

}  // namespace occhat::server::dump
