#include "file_handlers.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <span>

#include "file_name.hpp"
#include "file_storage.hpp"
#include "log.hpp"
#include "request_error.hpp"
#include "run_on.hpp"
#include "server_context.hpp"
#include "wire_convert.hpp"

namespace occhat::server {
namespace {

// Marks an upload as being written or finished by one request; a concurrent request on the same
// upload (another connection of the sender) gets CONFLICT instead of racing on the part file.
class BusyUpload {
 public:
  BusyUpload(ServerContext& server, std::uint64_t upload_id) : server_(server), upload_id_(upload_id) {
    if (!server_.busy_uploads.insert(upload_id).second) {
      throw RequestError(ErrorCode::conflict, fmt::format("upload {} is busy on another connection", upload_id));
    }
  }
  ~BusyUpload() { server_.busy_uploads.erase(upload_id_); }
  BusyUpload(const BusyUpload&) = delete;
  BusyUpload& operator=(const BusyUpload&) = delete;

 private:
  ServerContext& server_;
  std::uint64_t upload_id_;
};

std::span<const std::uint8_t> as_bytes(const std::string& data) {
  return {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
}

wire::Envelope upload_state(std::uint64_t upload_id, std::uint64_t offset) {
  wire::Envelope answer;
  auto* state = answer.mutable_upload_state();
  state->set_upload_id(upload_id);
  state->set_offset(offset);
  state->set_chunk_size(kFileChunkSize);
  return answer;
}

// The caller's own unfinished upload; NOT_FOUND for unknown ids and other users' uploads alike
// (an upload id tells a stranger nothing).
asio::awaitable<store::Upload> own_upload(ServerContext& server, std::uint32_t me, std::uint64_t upload_id) {
  auto find_job = [upload_id](store::Store& store) { return store.find_upload(upload_id); };
  const std::optional<store::Upload> upload = co_await server.store.run(std::move(find_job));
  if (!upload || upload->sender != me) {
    throw RequestError(ErrorCode::not_found, fmt::format("no upload with id {}", upload_id));
  }
  co_return *upload;
}

// A file the caller is a party of (published or still uploading): sender or recipient, or for
// a room file a member of the room (the room's files are every member's).
asio::awaitable<store::FileRecord> party_file(ServerContext& server, std::uint32_t me, std::uint64_t file_id) {
  struct Found {
    std::optional<store::FileRecord> file;
    bool member = false;
  };
  auto find_job = [me, file_id](store::Store& store) {
    Found found{store.find_file(file_id), false};
    if (found.file && found.file->room_id != 0) found.member = store.is_room_member(me, found.file->room_id);
    return found;
  };
  const Found found = co_await server.store.run(std::move(find_job));
  const std::optional<store::FileRecord>& file = found.file;
  if (!file) throw RequestError(ErrorCode::not_found, fmt::format("no file with id {}", file_id));
  const bool allowed = file->room_id != 0 ? found.member : (file->sender == me || file->recipient == me);
  if (!allowed) {
    throw RequestError(ErrorCode::not_allowed, fmt::format("you may not access file {}", file_id));
  }
  co_return *file;
}

// Admits an upload that begins or resumes (size `size`, `offset` bytes already on disk, `free`
// bytes free on the file system now) and reserves its remaining bytes, or throws
// RESOURCE_EXHAUSTED. Runs on the network thread without awaiting, so two begins cannot both
// count the same free bytes.
void admit_upload(ServerContext& server, std::uint32_t me, std::uint64_t upload_id, std::uint64_t size,
                  std::uint64_t offset, std::uint64_t free_now, bool resumed) {
  if (!resumed || server.reservations.count(upload_id) == 0) {
    // Per-sender quota on unfinished uploads (a resumed one is counted already).
    std::size_t count = 0;
    unsigned __int128 bytes = size;
    for (const auto& [id, r] : server.reservations) {
      if (id == upload_id || r.sender != me) continue;
      ++count;
      bytes += r.size;
    }
    if (count >= server.max_unfinished_uploads) {
      throw RequestError(ErrorCode::resource_exhausted,
                         fmt::format("you have {} unfinished uploads, the server's limit: finish or cancel one first", count));
    }
    if (bytes > server.max_unfinished_upload_bytes) {
      throw RequestError(ErrorCode::resource_exhausted,
                         fmt::format("your unfinished uploads would exceed the server's limit of {} bytes: finish or "
                                     "cancel one first",
                                     server.max_unfinished_upload_bytes));
    }
  }
  const std::uint64_t remaining = size > offset ? size - offset : 0;
  const unsigned __int128 needed =
      static_cast<unsigned __int128>(server.reserved_bytes(upload_id)) + remaining + server.min_free_bytes;
  if (free_now < needed) {
    throw RequestError(ErrorCode::resource_exhausted, "not enough disk space on the server");
  }
  server.reservations[upload_id] = ServerContext::UploadReservation{me, size, std::min(offset, size)};
}

// An upload is gone (published, discarded, cancelled, expired): its reservation too.
void release_upload(ServerContext& server, std::uint64_t upload_id) { server.reservations.erase(upload_id); }

// Envelope overhead of a file_list: tag and length of the Envelope field.
constexpr std::size_t kListOverhead = 2 + 3;

}  // namespace

// Jobs are named locals, never temporaries inside the co_await expression (g++ 12; see
// run_on.hpp).

asio::awaitable<Reply> handle_begin_upload(ServerContext& server, const RequestContext& context,
                                           const wire::BeginUploadRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t to = request.to();
  const std::uint32_t room_id = request.room_id();
  if (room_id != 0 && to != 0) throw RequestError(ErrorCode::invalid_argument, "set either to or room_id, not both");
  auto check_job = [me, to, room_id](store::Store& store) {
    if (room_id != 0) {
      if (!store.is_room_member(me, room_id)) {
        throw RequestError(ErrorCode::not_allowed, fmt::format("you are not a member of room {}", room_id));
      }
      return true;
    }
    if (!store.find_user(to)) throw RequestError(ErrorCode::not_found, fmt::format("no user with id {}", to));
    if (!store.are_friends(me, to)) throw RequestError(ErrorCode::not_allowed, fmt::format("{} is not your friend", to));
    return true;
  };
  co_await server.store.run(std::move(check_job));
  if (request.sha256().size() != 32) throw RequestError(ErrorCode::invalid_argument, "sha256 must be 32 bytes");
  const std::uint64_t size = request.size();
  if (size > server.max_file_size) {
    log_event("user {} upload to user {} rejected: {} bytes is over the limit", me, to, size);
    throw RequestError(ErrorCode::resource_exhausted,
                       fmt::format("file is larger than the server's limit of {} bytes", server.max_file_size));
  }
  store::Sha256 sha256{};
  std::memcpy(sha256.data(), request.sha256().data(), sha256.size());
  // For the log lines: whom the upload is for.
  const std::string target = room_id != 0 ? fmt::format("room {}", room_id) : fmt::format("user {}", to);
  auto begin_job = [me, to, room_id, name = clean_file_name(request.name()), size, sha256](store::Store& store) {
    if (room_id != 0) return store.begin_room_upload(me, room_id, name, size, sha256);
    return store.begin_upload(me, to, name, size, sha256);
  };
  const store::BeginUploadResult begun = co_await server.store.run(std::move(begin_job));
  const std::uint64_t upload_id = begun.upload.id;

  FileStorage* files = server.files;
  struct Opened {
    std::uint64_t offset = 0;
    std::uint64_t free = 0;
  };
  auto open_job = [files, upload_id] { return Opened{files->open_part(upload_id), files->free_bytes()}; };
  std::exception_ptr failure;
  Opened opened;
  try {
    opened = co_await run_on(server.file_io, std::move(open_job));
    // Back on the network thread: the check and the reservation below happen with no await in
    // between, so concurrent begins see each other's reservations.
    admit_upload(server, me, upload_id, size, opened.offset, opened.free, begun.resumed);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    // Nothing of a refused new upload stays behind; a resumed one keeps its bytes for later.
    if (!begun.resumed) {
      auto forget_job = [upload_id](store::Store& store) { return store.delete_upload(upload_id); };
      co_await server.store.run(std::move(forget_job));
      auto remove_job = [files, upload_id] { files->remove_part(upload_id); };
      co_await run_on(server.file_io, std::move(remove_job));
      release_upload(server, upload_id);  // in case a concurrent begin resumed the row meanwhile
    }
    log_event("user {} upload {} to {} ({} bytes) refused", me, upload_id, target, size);
    std::rethrow_exception(failure);
  }
  const std::uint64_t offset = opened.offset;
  if (begun.resumed) {
    log_event("user {} resumed upload {} to {} at offset {} of {} bytes", me, upload_id, target, offset, size);
  } else {
    log_event("user {} started upload {} to {} ({} bytes)", me, upload_id, target, size);
  }
  co_return upload_state(upload_id, offset);
}

asio::awaitable<Reply> handle_upload_chunk(ServerContext& server, const RequestContext& context,
                                           const wire::UploadChunk& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint64_t upload_id = request.upload_id();
  const store::Upload upload = co_await own_upload(server, me, upload_id);
  const std::uint64_t offset = request.offset();
  // The request outlives this handler's awaits (the connection keeps the frame until it is answered), so the
  // file job reads the chunk where it is instead of copying a megabyte.
  const std::string* data = &request.data();
  if (data->size() > kFileChunkSize) {
    throw RequestError(ErrorCode::invalid_argument, fmt::format("a chunk holds at most {} bytes", kFileChunkSize));
  }
  if (offset > upload.size || data->size() > upload.size - offset) {
    throw RequestError(ErrorCode::invalid_argument, "chunk goes past the announced size of the file");
  }
  BusyUpload busy(server, upload_id);
  FileStorage* files = server.files;
  auto write_job = [files, upload_id, offset, data] { return files->append(upload_id, offset, as_bytes(*data)); };
  const std::uint64_t new_offset = co_await run_on(server.file_io, std::move(write_job));
  server.metrics.bytes_uploaded.fetch_add(data->size(), std::memory_order_relaxed);
  if (auto found = server.reservations.find(upload_id); found != server.reservations.end()) {
    found->second.received = new_offset;
  }
  co_return upload_state(upload_id, new_offset);
}

asio::awaitable<Reply> handle_finish_upload(ServerContext& server, const RequestContext& context,
                                            const wire::FinishUploadRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint64_t upload_id = request.upload_id();
  const store::Upload upload = co_await own_upload(server, me, upload_id);
  BusyUpload busy(server, upload_id);
  FileStorage* files = server.files;
  const std::uint64_t size = upload.size;
  auto hash_job = [files, upload_id, size] { return files->sync_and_hash(upload_id, size); };
  const proto::Sha256Digest digest = co_await run_on(server.file_io, std::move(hash_job));
  if (digest != upload.sha256) {
    // Bad bytes are never resumed into: the whole upload goes.
    auto forget_job = [upload_id](store::Store& store) { return store.delete_upload(upload_id); };
    co_await server.store.run(std::move(forget_job));
    auto remove_job = [files, upload_id] { files->remove_part(upload_id); };
    co_await run_on(server.file_io, std::move(remove_job));
    release_upload(server, upload_id);
    log_event("user {} upload {} rejected: SHA-256 mismatch (discarded)", me, upload_id);
    throw RequestError(ErrorCode::integrity, "file does not match its SHA-256");
  }
  // Bytes first at their final place (fsynced), then the row: a listed file is always complete.
  auto publish_job = [files, upload_id] { files->publish(upload_id, upload_id); };
  co_await run_on(server.file_io, std::move(publish_job));
  auto commit_job = [upload_id](store::Store& store) { return store.publish_upload(upload_id); };
  std::exception_ptr failure;
  store::PublishResult published;
  try {
    published = co_await server.store.run(std::move(commit_job));
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    auto unpublish_job = [files, upload_id] { files->unpublish(upload_id, upload_id); };
    co_await run_on(server.file_io, std::move(unpublish_job));
    std::rethrow_exception(failure);
  }
  release_upload(server, upload_id);
  log_event("user {} published file {} to {} ({} bytes)", me, published.file.id,
            upload.room_id != 0 ? fmt::format("room {}", upload.room_id) : fmt::format("user {}", upload.recipient), size);
  Reply reply;
  fill_file_info(*reply.body.mutable_file_info(), published.file);
  if (published.file.room_id != 0) {
    reply.effects.emplace_back(effect::DeliverMany{std::move(published.room_items), {}});
  } else {
    reply.effects.emplace_back(effect::Deliver{published.item});
  }
  co_return reply;
}

asio::awaitable<Reply> handle_list_files(ServerContext& server, const RequestContext& context,
                                         const wire::ListFilesRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint32_t peer = request.peer();
  const std::uint32_t room_id = request.room_id();
  if (room_id != 0 && peer != 0) throw RequestError(ErrorCode::invalid_argument, "set either peer or room_id, not both");
  auto list_job = [me, peer, room_id](store::Store& store) {
    return room_id != 0 ? store.list_room_files(me, room_id) : store.list_files(me, peer);
  };
  const std::vector<store::FileRecord> found = co_await server.store.run(std::move(list_job));
  // The page ends before `before_id` (its place in the list; an id no longer listed: every
  // lower id), newest first, as many as fit in one frame and `limit`.
  const std::uint64_t before = request.before_id();
  const auto place =
      std::find_if(found.begin(), found.end(), [before](const store::FileRecord& f) { return f.id == before; });
  std::vector<const store::FileRecord*> candidates;
  for (auto it = found.begin(); it != found.end(); ++it) {
    if (before != 0 && (place != found.end() ? it >= place : it->id >= before)) continue;
    candidates.push_back(&*it);
  }
  const std::size_t limit = request.limit() == 0 ? candidates.size() : request.limit();
  std::vector<wire::FileInfo> kept;
  std::size_t used = kListOverhead + 2;  // + `more`
  for (auto it = candidates.rbegin(); it != candidates.rend() && kept.size() < limit; ++it) {
    wire::FileInfo info;
    fill_file_info(info, **it);
    const std::size_t cost = 1 + 3 + info.ByteSizeLong();
    if (used + cost > proto::kMaxControlPayload) break;
    used += cost;
    kept.push_back(std::move(info));
  }
  wire::Envelope answer;
  auto* list = answer.mutable_file_list();
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) *list->add_files() = std::move(*it);
  list->set_more(kept.size() < candidates.size());
  co_return answer;
}

asio::awaitable<Reply> handle_cancel_upload(ServerContext& server, const RequestContext& context,
                                            const wire::CancelUploadRequest& request) {
  const std::uint32_t me = context.user_id.value();
  const std::uint64_t upload_id = request.upload_id();
  co_await own_upload(server, me, upload_id);
  BusyUpload busy(server, upload_id);
  auto forget_job = [upload_id](store::Store& store) { return store.delete_upload(upload_id); };
  const bool deleted = co_await server.store.run(std::move(forget_job));
  if (!deleted) throw RequestError(ErrorCode::not_found, fmt::format("no upload with id {}", upload_id));
  FileStorage* files = server.files;
  auto remove_job = [files, upload_id] { files->remove_part(upload_id); };
  co_await run_on(server.file_io, std::move(remove_job));
  release_upload(server, upload_id);
  log_event("user {} cancelled upload {}", me, upload_id);
  wire::Envelope answer;
  answer.mutable_ok();
  co_return answer;
}

asio::awaitable<Reply> handle_get_file(ServerContext& server, const RequestContext& context,
                                       const wire::GetFileRequest& request) {
  const store::FileRecord file = co_await party_file(server, context.user_id.value(), request.file_id());
  wire::Envelope answer;
  fill_file_info(*answer.mutable_file_info(), file);
  co_return answer;
}

asio::awaitable<Reply> handle_read_file(ServerContext& server, const RequestContext& context,
                                        const wire::ReadFileRequest& request) {
  const std::uint64_t file_id = request.file_id();
  const store::FileRecord file = co_await party_file(server, context.user_id.value(), file_id);
  const std::uint32_t length = request.length();
  if (length == 0 || length > kFileChunkSize) {
    throw RequestError(ErrorCode::invalid_argument, fmt::format("length must be 1 to {}", kFileChunkSize));
  }
  if (file.state == store::FileRecord::State::uploading) {
    throw RequestError(ErrorCode::conflict, fmt::format("file {} is still being uploaded", file_id));
  }
  const std::uint64_t offset = request.offset();
  if (offset > file.size) throw RequestError(ErrorCode::invalid_argument, "offset is past the end of the file");
  const auto want = static_cast<std::uint32_t>(std::min<std::uint64_t>(length, file.size - offset));
  FileStorage* files = server.files;
  auto read_job = [files, file_id, offset, want] { return want == 0 ? std::string() : files->read(file_id, offset, want); };
  std::string data = co_await run_on(server.file_io, std::move(read_job));
  server.metrics.bytes_downloaded.fetch_add(data.size(), std::memory_order_relaxed);
  wire::Envelope answer;
  auto* chunk = answer.mutable_file_chunk();
  chunk->set_file_id(file_id);
  chunk->set_offset(offset);
  chunk->set_data(std::move(data));
  co_return answer;
}

}  // namespace occhat::server
