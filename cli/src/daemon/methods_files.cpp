// Files: upload, upload.cancel, download, files, file.info. Paths are the daemon's: relative ones
// are taken from its working directory.

#include "daemon/jsonrpc.hpp"
#include "daemon/method_handlers.hpp"
#include "download_target.hpp"
#include "event_format.hpp"
#include "file_ref.hpp"
#include "result_json.hpp"

namespace occhat::cli::daemon::handlers {

Json upload(Call& call) {
  const Destination to = call.params.destination("to");
  const std::string path = call.params.string("path");
  const std::optional<std::string> name = call.params.optional_string("name");
  call.params.finish();
  const UploadResult result = to.room != 0 ? call.client.upload_room_file(to.room, path, name)
                                           : call.client.upload_file(to.user, path, name);
  return upload_result_json(result, to);
}

Json upload_cancel(Call& call) {
  const Destination to = call.params.destination("to");
  const std::string path = call.params.string("path");
  call.params.finish();
  const FileId cancelled = to.room != 0 ? call.client.cancel_room_upload_file(to.room, path)
                                        : call.client.cancel_upload_file(to.user, path);
  return cancelled_upload_json(cancelled, to);
}

Json download(Call& call) {
  // "file": an id, or a name only one of your files has (like `occhat download FILE`).
  const Json* file = call.params.raw("file");
  std::string ref;
  if (file != nullptr && file->is_number_unsigned() && file->get<std::uint64_t>() > 0) {
    ref = std::to_string(file->get<std::uint64_t>());
  } else if (file != nullptr && file->is_string() && !file->get<std::string>().empty()) {
    ref = file->get<std::string>();
  } else {
    throw invalid_params("\"file\" must be a file id (a number) or a file name (a string)");
  }
  const std::optional<std::string> output = call.params.optional_string("path");
  const bool restart = call.params.flag("restart");
  const bool force = call.params.flag("force");
  call.params.finish();
  if (output && *output == "-") throw invalid_params("\"path\": - (stdout) is the daemon's protocol channel");
  const FileInfo info = resolve_file(call.client, ref);
  const DownloadTarget target = download_target(output, info.name, info.id, force);
  const DownloadResult result = call.client.download_file(info.id, target.path, !restart);
  return download_result_json(result, target.path);
}

Json files(Call& call) {
  const Destination peer = call.params.optional_destination("peer");
  const FileId before = call.params.optional_uint("before", 1, UINT64_MAX).value_or(0);
  const auto limit = call.params.optional_uint("limit", 1, 100000).value_or(0);
  call.params.finish();
  const auto n = static_cast<std::uint32_t>(limit);
  const FilePage page = peer.room != 0 ? call.client.room_files_page(peer.room, before, n)
                                       : call.client.files_page(peer.user, before, n);
  Json list = Json::array();
  for (const FileInfo& f : page.files) list.push_back(file_json(f));
  return Json{{"files", std::move(list)}, {"more", page.more}};
}

Json file_info(Call& call) {
  const FileId id = call.params.uint("id", 1, UINT64_MAX);
  call.params.finish();
  return file_json(call.client.file_info(id));
}

}  // namespace occhat::cli::daemon::handlers
