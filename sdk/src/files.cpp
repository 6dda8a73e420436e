// Client::files and Client::file_info: the file history and one file's record.

#include "client_impl.hpp"
#include "convert.hpp"

namespace occhat {

std::vector<FileInfo> Client::files(UserId peer) {
  wire::Envelope request;
  request.mutable_list_files_request()->set_peer(peer);
  return detail::from_wire(impl_->call(request, wire::Envelope::kFileList).file_list());
}

FileInfo Client::file_info(FileId id) {
  wire::Envelope request;
  request.mutable_get_file_request()->set_file_id(id);
  return detail::from_wire(impl_->call(request, wire::Envelope::kFileInfo).file_info());
}

}  // namespace occhat
