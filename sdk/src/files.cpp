// Client::files, room_files and file_info: the file histories and one file's record.

#include <filesystem>
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
  // Our uploads to `to` are the uploading files whose recipient is `to` (we cannot be `to`).
  FileId before = 0;
  for (;;) {
    const FilePage page = files_page(to, before);
    for (auto it = page.files.rbegin(); it != page.files.rend(); ++it) {
      if (it->state == "uploading" && it->recipient == to && it->sender != to && it->size == size &&
          it->sha256 == hex) {
        cancel_upload(it->id);
        return it->id;
      }
    }
    if (!page.more || page.files.empty()) break;
    before = page.files.front().id;
  }
  throw Error(ErrorCode::not_found, "no unfinished upload of " + path + " to " + std::to_string(to));
}

FileInfo Client::file_info(FileId id) {
  return detail::from_wire(impl_->call(proto::requests::get_file(id), wire::Envelope::kFileInfo).file_info());
}

}  // namespace occhat
