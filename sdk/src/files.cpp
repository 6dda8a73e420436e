// Client::files, room_files and file_info: the file histories and one file's record.

#include <filesystem>
#include <functional>
#include <string>
#include <span>
#include <system_error>

#include "client_impl.hpp"
#include "convert.hpp"
#include "occhat/proto/requests.hpp"
#include "occhat/proto/sha256.hpp"

namespace occhat {
namespace {

FilePage to_page(const wire::FileList& list) {
  FilePage page;
  page.files = detail::from_wire(list);
  page.more = list.more();
  return page;
}

// Finds the sender's unfinished upload of the bytes at `path` among the pages `page_before`
// lists (newest first, as a resume would find it) and cancels it.
FileId cancel_matching_upload(Client& client, const std::string& path,
                              const std::function<FilePage(FileId before)>& page_before,
                              const std::function<bool(const FileInfo&)>& ours, const std::string& where) {
  std::uint64_t size = 0;
  proto::Sha256Digest digest{};
  try {
    size = std::filesystem::file_size(path);
    digest = proto::sha256_file(path, size);
  } catch (const std::filesystem::filesystem_error& e) {
    throw Error(ErrorCode::invalid_argument, "cannot read " + path + ": " + e.code().message());
  } catch (const std::system_error& e) {
    throw Error(ErrorCode::invalid_argument, "cannot read " + path + ": " + e.code().message());
  }
  const std::string hex = proto::to_hex(std::span<const std::uint8_t>(digest.data(), digest.size()));
  FileId before = 0;
  for (;;) {
    const FilePage page = page_before(before);
    for (auto it = page.files.rbegin(); it != page.files.rend(); ++it) {
      if (it->state == "uploading" && ours(*it) && it->size == size && it->sha256 == hex) {
        client.cancel_upload(it->id);
        return it->id;
      }
    }
    if (!page.more || page.files.empty()) break;
    before = page.files.front().id;
  }
  throw Error(ErrorCode::not_found, "no unfinished upload of " + path + " " + where);
}

}  // namespace

std::vector<FileInfo> Client::files(UserId peer) { return files_page(peer).files; }

FilePage Client::files_page(UserId peer, FileId before_id, std::uint32_t limit) {
  const auto request = proto::requests::list_files(peer, before_id, limit);
  return to_page(impl_->call(request, wire::Envelope::kFileList).file_list());
}

std::vector<FileInfo> Client::room_files(RoomId room) { return room_files_page(room).files; }

FilePage Client::room_files_page(RoomId room, FileId before_id, std::uint32_t limit) {
  const auto request = proto::requests::list_room_files(room, before_id, limit);
  return to_page(impl_->call(request, wire::Envelope::kFileList).file_list());
}

void Client::cancel_upload(FileId upload_id) {
  impl_->call(proto::requests::cancel_upload(upload_id), wire::Envelope::kOk);
}

FileId Client::cancel_upload_file(UserId to, const std::string& path) {
  // Our uploads to `to` are the uploading files whose recipient is `to` (we cannot be `to`).
  return cancel_matching_upload(
      *this, path, [&](FileId before) { return files_page(to, before); },
      [&](const FileInfo& f) { return f.recipient == to && f.sender != to; }, "to " + std::to_string(to));
}

FileId Client::cancel_room_upload_file(RoomId room, const std::string& path) {
  // Every member's uploads are listed; ours are those we send.
  const auto me = current_user();
  if (!me) throw Error(ErrorCode::unauthenticated, "not logged in");
  return cancel_matching_upload(
      *this, path, [&](FileId before) { return room_files_page(room, before); },
      [&](const FileInfo& f) { return f.sender == me->id; }, "to room " + std::to_string(room));
}

FileInfo Client::file_info(FileId id) {
  return detail::from_wire(impl_->call(proto::requests::get_file(id), wire::Envelope::kFileInfo).file_info());
}

}  // namespace occhat
