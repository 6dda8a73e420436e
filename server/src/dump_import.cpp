#include "dump_import.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <array>
#include <map>
#include <set>
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

// Every staged file must be a file of the dump, whole and with its SHA-256.
void check_staged_files(const store::DumpRows& rows, const Staging& staging) {
  std::map<std::uint64_t, const store::DumpRow*> files;
  for (const auto& row : rows[static_cast<std::size_t>(store::DumpTable::files)]) {
    files[static_cast<std::uint64_t>(std::get<std::int64_t>(row[0]))] = &row;
  }
  for (const auto& [id, size] : staging.sizes()) {
    const auto it = files.find(id);
    if (it == files.end()) throw DumpFormatError(fmt::format("file_data for file {}, which has no file record", id));
    const auto expected = static_cast<std::uint64_t>(std::get<std::int64_t>((*it->second)[5]));
    if (size != expected) {
      throw DumpFormatError(fmt::format("file {}: the dump carries {} bytes of its {}", id, size, expected));
    }
    const auto digest = proto::sha256_file(staging.part(id));
    if (std::string(digest.begin(), digest.end()) != std::get<store::DumpBlob>((*it->second)[6]).bytes) {
      throw DumpFormatError(fmt::format("file {}: its bytes do not match its sha256", id));
    }
  }
}

// The dump line of each row, by table (a friendship's two rows share one).
using RowLines = std::array<std::vector<std::uint64_t>, store::kDumpTableCount>;

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

void check_references(const store::DumpRows& rows, const RowLines& lines) {
  std::array<std::set<std::int64_t>, store::kDumpTableCount> keys;
  for (const auto table : {store::DumpTable::users, store::DumpTable::rooms, store::DumpTable::messages,
                           store::DumpTable::files}) {
    const auto t = static_cast<std::size_t>(table);
    for (const auto& row : rows[t]) keys[t].insert(std::get<std::int64_t>(row[0]));
  }
  for (const auto& ref : kReferences) {
    const auto t = static_cast<std::size_t>(ref.table);
    for (std::size_t r = 0; r < rows[t].size(); ++r) {
      const auto* id = std::get_if<std::int64_t>(&rows[t][r][ref.column]);
      if (id == nullptr || keys[static_cast<std::size_t>(ref.target)].contains(*id)) continue;
      throw DumpFormatError(fmt::format("dump line {}: {} names {} {}, which the dump does not have",
                                        lines[t][r], record_type(ref.table),
                                        record_type(ref.target), *id));
    }
  }
}

}  // namespace

ImportSummary import_dump(store::Store& store, std::istream& in, const ImportOptions& options) {
  ImportSummary summary;
  store::DumpRows rows;
  RowLines lines;
  std::optional<Staging> staging;
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
      Json record;
      try {
        record = Json::parse(line);
      } catch (const Json::parse_error& e) {
        throw DumpFormatError(fmt::format("not JSON ({})", e.what()));
      }
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
      } else {
        add_record_rows(record, rows);
        for (std::size_t t = 0; t < store::kDumpTableCount; ++t) lines[t].resize(rows[t].size(), line_number);
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
  for (std::size_t t = 0; t < store::kDumpTableCount; ++t) summary.read[t] = rows[t].size();
  // Into an empty store everything a record names must be in the dump (merged, it may be in the
  // store: the store's own constraints check that).
  if (!options.merge) check_references(rows, lines);

  if (options.files_dir) {
    // An empty file has no data lines; its (empty) bytes are made here.
    for (const auto& row : rows[static_cast<std::size_t>(store::DumpTable::files)]) {
      if (std::get<std::int64_t>(row[5]) != 0) continue;
      if (!staging) staging.emplace(*options.files_dir);
      staging->append(static_cast<std::uint64_t>(std::get<std::int64_t>(row[0])), 0, {});
    }
  }
  if (staging) {
    check_staged_files(rows, *staging);
    staging->publish();
    for (const auto& [id, size] : staging->sizes()) {
      ++summary.files_with_bytes;
      summary.file_bytes += size;
    }
  }
  summary.files_without_bytes = rows[static_cast<std::size_t>(store::DumpTable::files)].size() - summary.files_with_bytes;
  summary.added = store.import_rows(rows, options.merge);
  if (staging) staging->keep();
  return summary;
}

}  // namespace occhat::server::dump
