#pragma once
// occhat-server import: reads a whole occhat dump (dump_format.hpp), checks it, puts the file
// bytes it carries into the files directory under their ids, and loads the records in one store
// transaction. A dump that fails anywhere leaves the store and the files directory as they were.

#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>

#include "occhat/store/store.hpp"

namespace occhat::server::dump {

struct ImportOptions {
  std::optional<std::filesystem::path> files_dir;  // holds published/; needed if the dump has bytes
  bool merge = false;                              // add to a store that is not empty
};

struct ImportSummary {
  store::DumpCounts read{};   // rows the dump holds, per table
  store::DumpCounts added{};  // rows stored (the rest were present: --merge)
  std::uint64_t files_with_bytes = 0;
  std::uint64_t files_without_bytes = 0;  // file records the dump carries no bytes for
  std::uint64_t file_bytes = 0;
};

// Throws DumpFormatError ("dump line N: ...") for a dump that cannot be read, StoreError from the
// store (not_allowed: not empty without merge), std::runtime_error for file I/O.
ImportSummary import_dump(store::Store& store, std::istream& in, const ImportOptions& options);

}  // namespace occhat::server::dump
