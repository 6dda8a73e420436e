#pragma once
// Handlers for file transfer: begin/chunk/finish an upload (resumable by offset), list, look up
// and read files. Each returns the answer body or throws RequestError / store::StoreError. The
// session is logged in. Disk I/O runs on the file I/O pool; the store on its thread.

#include <asio/awaitable.hpp>

#include <cstdint>

#include "effects.hpp"
#include "occhat/proto/frame.hpp"
#include "occhat/proto/limits.hpp"
#include "request_context.hpp"

namespace occhat::server {

struct ServerContext;

// The largest chunk accepted in an upload, announced in UploadState.chunk_size.
using proto::kFileChunkSize;

asio::awaitable<Reply> handle_begin_upload(ServerContext& server, const RequestContext& context,
                                           const wire::BeginUploadRequest& request);
asio::awaitable<Reply> handle_upload_chunk(ServerContext& server, const RequestContext& context,
                                           const wire::UploadChunk& request);
asio::awaitable<Reply> handle_finish_upload(ServerContext& server, const RequestContext& context,
                                            const wire::FinishUploadRequest& request);
asio::awaitable<Reply> handle_list_files(ServerContext& server, const RequestContext& context,
                                         const wire::ListFilesRequest& request);
// Deletes one of the caller's own unfinished uploads (row, part file, reservation). Answer: ok.
asio::awaitable<Reply> handle_cancel_upload(ServerContext& server, const RequestContext& context,
                                            const wire::CancelUploadRequest& request);
asio::awaitable<Reply> handle_get_file(ServerContext& server, const RequestContext& context,
                                       const wire::GetFileRequest& request);
asio::awaitable<Reply> handle_read_file(ServerContext& server, const RequestContext& context,
                                        const wire::ReadFileRequest& request);

}  // namespace occhat::server
