#include "dump_commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

#include "dump_export.hpp"
#include "dump_format.hpp"
#include "dump_import.hpp"
#include "occhat/proto/error.hpp"
#include "occhat/server/operator.hpp"
#include "occhat/store/store.hpp"

namespace occhat::server {
namespace {

namespace fs = std::filesystem;

constexpr int kExitNotEmpty = 6;
constexpr int kExitMalformed = 7;

struct DumpFlags {
  std::string files_dir;
  bool merge = false;
};

DumpFlags& flags() {
  static DumpFlags value;
  return value;
}

std::unique_ptr<store::Store> open_dump_store(const ServerOptions& options, bool create_data_dir) {
  const auto file = store::sqlite_file_of(store_location(options));
  // Opening a SQLite store creates it: an export of a mistyped path would write an empty dump.
  if (file && !create_data_dir && !fs::exists(*file)) {
    throw std::runtime_error(fmt::format("no store at {} (check --data-dir or --store)", *file));
  }
  if (create_data_dir && options.store.empty() && !fs::exists(options.data_dir)) {
    fs::create_directories(options.data_dir);
    fs::permissions(options.data_dir, fs::perms::owner_all);
  }
  return open_operator_store(options);
}

// The command's --files-dir, else the server's (before or in --config), else the data dir's
// files/ when the store is the data dir's.
std::optional<fs::path> files_dir(const ServerOptions& options) {
  if (!flags().files_dir.empty()) return fs::path(flags().files_dir);
  if (!options.files_dir.empty()) return options.files_dir;
  if (options.store.empty()) return options.data_dir / "files";
  return std::nullopt;
}

std::string counts_text(const store::DumpCounts& counts) {
  std::string text;
  for (std::size_t t = 0; t < store::kDumpTableCount; ++t) {
    const auto table = static_cast<store::DumpTable>(t);
    // A friendship is two rows, one record.
    const auto n = table == store::DumpTable::friendships ? counts[t] / 2 : counts[t];
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", n, dump::record_type(table));
  }
  return text;
}

int run_export(const ServerOptions& options) {
  dump::ExportOptions export_options;
  export_options.source = store::sqlite_file_of(store_location(options)) ? "sqlite" : "postgresql";
  export_options.files_dir = files_dir(options);
  if (export_options.files_dir && !fs::exists(*export_options.files_dir / "published")) {
    if (!flags().files_dir.empty()) {
      std::cerr << fmt::format("occhat-server: {} has no published/ directory: is it the server's files directory?\n",
                               export_options.files_dir->string());
      return 1;
    }
    export_options.files_dir.reset();  // a data dir without files yet
  }
  const auto store = open_dump_store(options, false);
  std::ios::sync_with_stdio(false);
  const auto summary = dump::export_dump(*store, std::cout, export_options);
  std::cerr << fmt::format("occhat-server: exported {}\n", counts_text(summary.rows));
  if (!export_options.files_dir && summary.rows[static_cast<std::size_t>(store::DumpTable::files)] != 0) {
    std::cerr << "occhat-server: file bytes not exported: give --files-dir DIR (the server's files directory)\n";
  } else if (export_options.files_dir) {
    std::cerr << fmt::format("occhat-server: file bytes: {} bytes\n", summary.file_bytes);
  }
  for (const auto id : summary.files_without_bytes) {
    std::cerr << fmt::format("occhat-server: warning: file {} exported without its bytes (not in {}; its room was "
                             "deleted meanwhile?)\n",
                             id, (*export_options.files_dir / "published").string());
  }
  return 0;
}

int run_import(const ServerOptions& options) {
  if (::isatty(STDIN_FILENO) != 0) {
    std::cerr << "occhat-server: import reads the dump from stdin: occhat-server ... import < dump.jsonl\n";
    return 1;
  }
  const auto store = open_dump_store(options, true);
  dump::ImportOptions import_options;
  import_options.files_dir = files_dir(options);
  import_options.merge = flags().merge;
  std::ios::sync_with_stdio(false);
  const auto summary = dump::import_dump(*store, std::cin, import_options);
  std::cerr << fmt::format("occhat-server: imported {}; {} files with bytes ({} bytes)\n", counts_text(summary.added),
                           summary.files_with_bytes, summary.file_bytes);
  if (summary.files_without_bytes != 0) {
    std::cerr << fmt::format("occhat-server: warning: {} file records came without their bytes (exported without "
                             "--files-dir?): they are listed, but downloading them fails\n",
                             summary.files_without_bytes);
  }
  std::uint64_t skipped = 0;
  for (std::size_t t = 0; t < store::kDumpTableCount; ++t) skipped += summary.read[t] - summary.added[t];
  if (skipped != 0) std::cerr << fmt::format("occhat-server: {} rows were in the store already (skipped)\n", skipped);
  return 0;
}

}  // namespace

void add_dump_commands(CLI::App& app) {
  auto* export_command = app.add_subcommand(
      "export", "Write every account, friendship, room, message, inbox and file record as JSON lines to stdout "
                "(the backup and migration format; see the README)");
  export_command->add_option("--files-dir", flags().files_dir,
                             "the server's files directory (holding published/); its bytes go into the dump. "
                             "Default: DATA_DIR/files unless --store is given");
  auto* import_command = app.add_subcommand(
      "import", "Load a dump (from stdin) into an empty store, in one transaction; --merge adds to a non-empty one");
  import_command->add_option("--files-dir", flags().files_dir,
                             "where the dump's file bytes go (published/<id>). Default: DATA_DIR/files unless "
                             "--store is given");
  import_command->add_flag("--merge", flags().merge,
                           "add to a store that is not empty: records already there are skipped (so importing "
                           "the same dump twice changes nothing)");
}

std::optional<int> run_dump_command(CLI::App& app, const ServerOptions& options) {
  const bool is_export = app.get_subcommand("export")->parsed();
  const bool is_import = app.get_subcommand("import")->parsed();
  if (!is_export && !is_import) return std::nullopt;
  try {
    return is_export ? run_export(options) : run_import(options);
  } catch (const dump::DumpFormatError& e) {
    std::cerr << fmt::format("occhat-server: {}; nothing imported\n", e.what());
    return kExitMalformed;
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("occhat-server: {}{}\n", e.what(), is_import ? "; nothing imported" : "");
    return e.code() == ErrorCode::not_allowed ? kExitNotEmpty : 1;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("occhat-server: {}{}\n", e.what(), is_import ? "; nothing imported" : "");
    return 1;
  }
}

}  // namespace occhat::server
