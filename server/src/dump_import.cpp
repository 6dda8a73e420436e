#include "dump_import.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "dump_format.hpp"
#include "occhat/proto/sha256.hpp"

namespace occhat::server::dump {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

[[noreturn]] void io_fail(std::string_view what, const fs::path& path) {
  throw std::runtime_error(fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno)));
}

void fsync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_WRONLY) | O_CLOEXEC);
  if (fd < 0) io_fail("open", path);
  const int result = ::fsync(fd);
  ::close(fd);
  if (result != 0) io_fail("sync", path);
}

// File bytes read from the dump, in a staging directory next to published/ (same file system,
// so moving them into place is a rename). Removed with everything in it unless kept.
class Staging {
 public:
  explicit Staging(fs::path files_dir)
      : files_dir_(std::move(files_dir)), dir_(files_dir_ / fmt::format("import-{}.tmp", ::getpid())) {}
  ~Staging() {
    std::error_code ignored;
    for (const auto& path : moved_) fs::remove(path, ignored);
    fs::remove_all(dir_, ignored);
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  // Appends bytes of file `id` at `offset`, which must be where it ends so far.
  void append(std::uint64_t id, std::uint64_t offset, std::string_view bytes) {
    auto& size = sizes_[id];
    if (offset != size) {
      throw DumpFormatError(fmt::format("file_data: file {} continues at offset {}, not {} (a file's data lines "
                                        "must come in offset order)",
                                        id, size, offset));
    }
    if (!created_) {
      fs::create_directories(files_dir_);
      fs::remove_all(dir_);  // left by a killed import that had our pid
      if (::mkdir(dir_.c_str(), 0700) != 0) io_fail("create", dir_);
      created_ = true;
    }
    const auto path = part(id);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) io_fail("create", path);
    std::size_t written = 0;
    while (written < bytes.size()) {
      const auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(fd);
        io_fail("write", path);
      }
      written += static_cast<std::size_t>(n);
    }
    ::close(fd);
    size += bytes.size();
  }

  const std::map<std::uint64_t, std::uint64_t>& sizes() const { return sizes_; }
  fs::path part(std::uint64_t id) const { return dir_ / std::to_string(id); }

  // Moves each staged file to published/<id>, synced, unless the same bytes are there already
  // (a merge of the same dump, or an import killed before its commit). Other bytes under that
  // id are refused: they belong to another store's file. Undone by the destructor unless
  // keep() runs.
  void publish() {
    const auto published = files_dir_ / "published";
    if (!fs::exists(published)) {
      fs::create_directories(files_dir_);
      if (::mkdir(published.c_str(), 0700) != 0 && errno != EEXIST) io_fail("create", published);
    }
    for (const auto& [id, size] : sizes_) {
      const auto target = published / std::to_string(id);
      if (fs::exists(target)) {
        std::error_code error;
        if (fs::file_size(target, error) == size && !error &&
            proto::sha256_file(target) == proto::sha256_file(part(id))) {
          continue;
        }
        throw std::runtime_error(fmt::format("{} holds other bytes than the dump's file {}: is --files-dir the "
                                             "files directory of another store?",
                                             target.string(), id));
      }
      fsync_path(part(id), false);
      fs::rename(part(id), target);
      moved_.push_back(target);
    }
    if (!moved_.empty()) fsync_path(published, true);
  }
  void keep() { moved_.clear(); }

 private:
  fs::path files_dir_;
  fs::path dir_;
  std::map<std::uint64_t, std::uint64_t> sizes_;
  std::vector<fs::path> moved_;
  bool created_ = false;
};

std::uint64_t unsigned_field(const Json& record, std::string_view name) {
  const auto it = record.find(std::string(name));
  if (it == record.end() || !it->is_number_unsigned()) {
    throw DumpFormatError(fmt::format("file_data: \"{}\" must be a non-negative integer", name));
  }
  return it->get<std::uint64_t>();
}

void add_file_data(const Json& record, const ImportOptions& options, std::optional<Staging>& staging) {
  for (const auto& [key, value] : record.items()) {
    if (key != "type" && key != "file" && key != "offset" && key != "data") {
      throw DumpFormatError(fmt::format("file_data: unknown field \"{}\"", key));
    }
  }
  if (!options.files_dir) {
    throw DumpFormatError("the dump carries file bytes: give --files-dir DIR (the server's files directory) to "
                          "import them");
  }
  const auto id = unsigned_field(record, "file");
  const auto offset = unsigned_field(record, "offset");
  const auto data = record.find("data");
  if (data == record.end() || !data->is_string()) throw DumpFormatError("file_data: \"data\" must be a string");
  if (!staging) staging.emplace(*options.files_dir);
  staging->append(id, offset, from_base64(data->get_ref<const std::string&>()));
}

// What the first pass keeps of a file record: enough to check its bytes.
struct FileInfo {
  std::uint64_t size = 0;
  std::string sha256;
};

// Every staged file must be a file of the dump, whole and with its SHA-256.
void check_staged_files(const std::map<std::uint64_t, FileInfo>& files, const Staging& staging) {
  for (const auto& [id, size] : staging.sizes()) {
    const auto it = files.find(id);
    if (it == files.end()) throw DumpFormatError(fmt::format("file_data for file {}, which has no file record", id));
    if (size != it->second.size) {
      throw DumpFormatError(fmt::format("file {}: the dump carries {} bytes of its {}", id, size, it->second.size));
    }
    const auto digest = proto::sha256_file(staging.part(id));
    if (std::string(digest.begin(), digest.end()) != it->second.sha256) {
      throw DumpFormatError(fmt::format("file {}: its bytes do not match its sha256", id));
    }
  }
}

// One table's records, kept in a temporary file between the two passes ("LINE\tJSON" lines), so
// the dump never has to fit in memory. The file is deleted when closed.
class Spool {
 public:
  Spool() : file_(std::tmpfile()) {
    if (file_ == nullptr) throw std::runtime_error(fmt::format("cannot create a temporary file: {}", std::strerror(errno)));
  }
  ~Spool() {
    std::fclose(file_);
    std::free(buffer_);
  }
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  void write(std::uint64_t line_number, std::string_view json) {
    const auto text = fmt::format("{}\t{}\n", line_number, json);
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) fail();
  }
  void rewind() {
    if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0) fail();
  }
  // The next record; false after the last.
  bool read(std::uint64_t& line_number, std::string_view& json) {
    const auto length = ::getline(&buffer_, &capacity_, file_);
    if (length < 0) {
      if (std::ferror(file_) != 0) fail();
      return false;
    }
    const std::string_view text(buffer_, static_cast<std::size_t>(length) - 1);  // without '\n'
    const auto tab = text.find('\t');
    line_number = std::stoull(std::string(text.substr(0, tab)));
    json = text.substr(tab + 1);
    return true;
  }

 private:
  [[noreturn]] static void fail() {
    throw std::runtime_error(fmt::format("cannot use a temporary file (TMPDIR full?): {}", std::strerror(errno)));
  }
  std::FILE* file_;
  char* buffer_ = nullptr;
  std::size_t capacity_ = 0;
};

// Which columns name a record of another table (the store's foreign keys).
struct Reference {
  store::DumpTable table;
  std::size_t column;
  store::DumpTable target;  // its key is column 0
};

constexpr std::array<Reference, 25> kReferences{{
    {store::DumpTable::friendships, 0, store::DumpTable::users},
    {store::DumpTable::friendships, 1, store::DumpTable::users},
    {store::DumpTable::friend_requests, 0, store::DumpTable::users},
    {store::DumpTable::friend_requests, 1, store::DumpTable::users},
    {store::DumpTable::blocks, 0, store::DumpTable::users},
    {store::DumpTable::blocks, 1, store::DumpTable::users},
    {store::DumpTable::rooms, 2, store::DumpTable::users},
    {store::DumpTable::room_members, 0, store::DumpTable::rooms},
    {store::DumpTable::room_members, 1, store::DumpTable::users},
    {store::DumpTable::room_invites, 0, store::DumpTable::rooms},
    {store::DumpTable::room_invites, 1, store::DumpTable::users},
    {store::DumpTable::room_invites, 2, store::DumpTable::users},
    {store::DumpTable::messages, 1, store::DumpTable::users},
    {store::DumpTable::messages, 2, store::DumpTable::users},
    {store::DumpTable::room_messages, 1, store::DumpTable::rooms},
    {store::DumpTable::room_messages, 2, store::DumpTable::users},
    {store::DumpTable::files, 1, store::DumpTable::users},
    {store::DumpTable::files, 2, store::DumpTable::users},
    {store::DumpTable::inbox_state, 0, store::DumpTable::users},
    {store::DumpTable::inbox, 0, store::DumpTable::users},
    {store::DumpTable::inbox, 3, store::DumpTable::messages},
    {store::DumpTable::inbox, 7, store::DumpTable::files},
    {store::DumpTable::friend_request_notices, 0, store::DumpTable::users},
    {store::DumpTable::friend_request_notices, 1, store::DumpTable::users},
    {store::DumpTable::read_markers, 0, store::DumpTable::users},
}};

// The keys of the tables others reference (users, rooms, messages, files), sorted.
using Keys = std::array<std::vector<std::int64_t>, store::kDumpTableCount>;

bool references_target(store::DumpTable table) {
  return table == store::DumpTable::users || table == store::DumpTable::rooms ||
         table == store::DumpTable::messages || table == store::DumpTable::files;
}

void check_references(store::DumpTable table, const store::DumpRow& row, const Keys& keys) {
  for (const auto& ref : kReferences) {
    if (ref.table != table) continue;
    const auto* id = std::get_if<std::int64_t>(&row[ref.column]);
    const auto& known = keys[static_cast<std::size_t>(ref.target)];
    if (id == nullptr || std::binary_search(known.begin(), known.end(), *id)) continue;
    throw DumpFormatError(
        fmt::format("{} names {} {}, which the dump does not have", record_type(table), record_type(ref.target), *id));
  }
}

Json parse_line(std::string_view line) {
  try {
    return Json::parse(line);
  } catch (const Json::parse_error& e) {
    throw DumpFormatError(fmt::format("not JSON ({})", e.what()));
  }
}

// Rows handed to the store per batch.
constexpr std::size_t kBatchRows = 2000;

}  // namespace

// Two passes. The first reads the dump once: checks every line, puts file bytes into the
// staging directory, spools each table's records to a temporary file and keeps only the keys
// others reference. The second, inside the store's one transaction, feeds the spools to it table
// by table (references first), so the dump may list its records in any order and need not fit
// in memory.
ImportSummary import_dump(store::Store& store, std::istream& in, const ImportOptions& options) {
  ImportSummary summary;
  std::array<Spool, store::kDumpTableCount> spools;
  Keys keys;
  std::map<std::uint64_t, FileInfo> files;
  std::optional<Staging> staging;
  store::DumpRows scratch;
  std::string line;
  std::uint64_t line_number = 0;
  std::uint64_t records = 0;
  bool header = false;
  bool ended = false;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    try {
      if (ended) throw DumpFormatError("a line after the end record");
      const Json record = parse_line(line);
      if (!header) {
        check_header(record);
        header = true;
        continue;
      }
      const auto type = record.is_object() ? record.value("type", "") : std::string();
      if (type == "end") {
        const auto count = record.find("records");
        if (count != record.end() && (!count->is_number_unsigned() || count->get<std::uint64_t>() != records)) {
          throw DumpFormatError(fmt::format("the end record counts {} records, the dump has {} (damaged?)",
                                            count->dump(), records));
        }
        ended = true;
        continue;
      }
      ++records;
      if (type == "file_data") {
        add_file_data(record, options, staging);
        continue;
      }
      add_record_rows(record, scratch);
      for (std::size_t t = 0; t < store::kDumpTableCount; ++t) {
        if (scratch[t].empty()) continue;
        const auto table = static_cast<store::DumpTable>(t);
        const auto& row = scratch[t].front();
        if (references_target(table)) keys[t].push_back(std::get<std::int64_t>(row[0]));
        if (table == store::DumpTable::files) {
          files[static_cast<std::uint64_t>(std::get<std::int64_t>(row[0]))] =
              FileInfo{static_cast<std::uint64_t>(std::get<std::int64_t>(row[5])),
                       std::get<store::DumpBlob>(row[6]).bytes};
        }
        spools[t].write(line_number, line);
        scratch[t].clear();
      }
    } catch (const DumpFormatError& e) {
      throw DumpFormatError(fmt::format("dump line {}: {}", line_number, e.what()));
    }
  }
  if (in.bad()) throw std::runtime_error("cannot read the dump");
  if (!header) throw DumpFormatError("the dump is empty (no header line)");
  if (!ended) {
    throw DumpFormatError(fmt::format("dump line {}: the dump ends without its end record (truncated?)", line_number));
  }
  for (auto& table_keys : keys) {
    std::sort(table_keys.begin(), table_keys.end());
    table_keys.erase(std::unique(table_keys.begin(), table_keys.end()), table_keys.end());
  }

  if (options.files_dir) {
    // An empty file has no data lines; its (empty) bytes are made here.
    for (const auto& [id, info] : files) {
      if (info.size != 0) continue;
      if (!staging) staging.emplace(*options.files_dir);
      staging->append(id, 0, {});
    }
  }
  if (staging) {
    check_staged_files(files, *staging);
    staging->publish();
    for (const auto& [id, size] : staging->sizes()) {
      ++summary.files_with_bytes;
      summary.file_bytes += size;
    }
  }
  summary.files_without_bytes = files.size() - summary.files_with_bytes;

  for (auto& spool : spools) spool.rewind();
  std::size_t table = 0;
  summary.added = store.import_rows(
      [&](store::DumpRows& batch) {
        std::size_t rows = 0;
        std::uint64_t spooled_line = 0;
        std::string_view json;
        while (table < store::kDumpTableCount && rows < kBatchRows) {
          if (!spools[table].read(spooled_line, json)) {
            ++table;
            continue;
          }
          auto& table_rows = batch[table];
          const auto before = table_rows.size();
          try {
            add_record_rows(parse_line(json), batch);
            // Into an empty store everything a record names must be in the dump (merged, it may
            // be in the store: the store's own constraints check that).
            for (auto r = before; !options.merge && r < table_rows.size(); ++r) {
              check_references(static_cast<store::DumpTable>(table), table_rows[r], keys);
            }
          } catch (const DumpFormatError& e) {
            throw DumpFormatError(fmt::format("dump line {}: {}", spooled_line, e.what()));
          }
          summary.read[table] += table_rows.size() - before;
          rows += table_rows.size() - before;
        }
        return rows != 0;
      },
      options.merge);
  if (staging) staging->keep();
  return summary;
}

}  // namespace occhat::server::dump
