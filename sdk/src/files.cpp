// Client::files and Client::file_info: the file history and one file's record.

#include "client_impl.hpp"
#include "convert.hpp"
#include "occhat/proto/requests.hpp"

namespace occhat {

std::vector<FileInfo> Client::files(UserId peer) {
  return detail::from_wire(impl_->call(proto::requests::list_files(peer), wire::Envelope::kFileList).file_list());
}

FileInfo Client::file_info(FileId id) {
  return detail::from_wire(impl_->call(proto::requests::get_file(id), wire::Envelope::kFileInfo).file_info());
}

}  // namespace occhat
