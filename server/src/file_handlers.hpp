#pragma once
// Handlers for file transfer: begin/chunk/finish an upload (resumable by offset), list, look up
// and read files. Each returns the answer body or throws RequestError / store::StoreError. The
// session is logged in. Disk I/O runs on the file I/O pool; the store on its thread.

#include <asio/awaitable.hpp>

#include <cstdint>

#include "occhat/proto/frame.hpp"
#include "occhat/proto/limits.hpp"

namespace occhat::server {

struct ServerContext;
class Session;

// The largest chunk accepted in an upload, announced in UploadState.chunk_size.
using proto::kFileChunkSize;

asio::awaitable<wire::Envelope> handle_begin_upload(ServerContext& server, Session& session,
                                                    const wire::BeginUploadRequest& request);
asio::awaitable<wire::Envelope> handle_upload_chunk(ServerContext& server, Session& session,
                                                    const wire::UploadChunk& request);
asio::awaitable<wire::Envelope> handle_finish_upload(ServerContext& server, Session& session,
                                                     const wire::FinishUploadRequest& request);
asio::awaitable<wire::Envelope> handle_list_files(ServerContext& server, Session& session,
                                                  const wire::ListFilesRequest& request);
asio::awaitable<wire::Envelope> handle_get_file(ServerContext& server, Session& session,
                                                const wire::GetFileRequest& request);
asio::awaitable<wire::Envelope> handle_read_file(ServerContext& server, Session& session,
                                                 const wire::ReadFileRequest& request);

}  // namespace occhat::server
