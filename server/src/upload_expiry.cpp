#include "upload_expiry.hpp"

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <limits>
#include <vector>

#include "file_storage.hpp"
#include "log.hpp"
#include "run_on.hpp"
#include "server_context.hpp"

namespace occhat::server {
namespace {

std::int64_t unix_ms(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

asio::awaitable<void> sweep(ServerContext& server, std::chrono::hours expiry) {
  const auto cutoff = std::chrono::system_clock::now() - expiry;
  const std::int64_t cutoff_ms = unix_ms(cutoff);
  auto stale_job = [cutoff_ms](store::Store& store) { return store.stale_uploads(cutoff_ms); };
  const std::vector<store::Upload> stale = co_await server.store.run(std::move(stale_job));
  FileStorage* files = server.files;
  for (const auto& upload : stale) {
    if (server.stopping) co_return;
    if (server.busy_uploads.count(upload.id) != 0) continue;
    const std::uint64_t upload_id = upload.id;
    auto written_job = [files, upload_id, expiry] {
      const auto modified = files->part_modified(upload_id);
      if (!modified) return false;
      return *modified >= std::filesystem::file_time_type::clock::now() - expiry;
    };
    const bool recently_written = co_await run_on(server.file_io, std::move(written_job));
    if (recently_written) continue;
    auto forget_job = [upload_id](store::Store& store) { return store.delete_upload(upload_id); };
    co_await server.store.run(std::move(forget_job));
    auto remove_job = [files, upload_id] { files->remove_part(upload_id); };
    co_await run_on(server.file_io, std::move(remove_job));
    server.reservations.erase(upload_id);
    log_event("upload {} from user {} expired after {} h without activity", upload_id, upload.sender, expiry.count());
  }
}

}  // namespace

asio::awaitable<void> recover_uploads(ServerContext& server) {
  std::vector<store::Upload> uploads;
  try {
    auto all_job = [](store::Store& store) { return store.stale_uploads(std::numeric_limits<std::int64_t>::max()); };
    uploads = co_await server.store.run(std::move(all_job));
  } catch (const std::exception& e) {
    log_event("upload recovery: cannot list unfinished uploads: {}", e.what());
    co_return;
  }
  FileStorage* files = server.files;
  std::size_t completed = 0;
  for (const auto& upload : uploads) {
    const std::uint64_t upload_id = upload.id;
    const std::uint64_t size = upload.size;
    const proto::Sha256Digest sha256 = upload.sha256;
    struct Found {
      std::uint64_t received = 0;
      bool published = false;  // no part file, and a published file with the right bytes
    };
    auto look_job = [files, upload_id, size, sha256] {
      Found found;
      if (const auto part = files->part_size(upload_id)) {
        found.received = *part;
      } else if (const auto published = files->published_size(upload_id); published && *published == size) {
        found.published = files->hash_published(upload_id, size) == sha256;
        found.received = size;
      }
      return found;
    };
    Found found;
    try {
      found = co_await run_on(server.file_io, std::move(look_job));
      if (found.published) {
        auto commit_job = [upload_id](store::Store& store) { return store.publish_upload(upload_id); };
        co_await server.store.run(std::move(commit_job));
        ++completed;
        log_event("upload {} from user {}: its bytes were published before a crash; file row committed now",
                  upload_id, upload.sender);
        continue;
      }
    } catch (const std::exception& e) {
      log_event("upload recovery: upload {}: {}", upload_id, e.what());
    }
    server.reservations[upload_id] = ServerContext::UploadReservation{upload.sender, size, std::min(found.received, size)};
  }
  if (!uploads.empty()) {
    log_event("{} unfinished upload(s), {} bytes still to come; {} completed after a crash", server.reservations.size(),
              server.reserved_bytes(), completed);
  }
}

asio::awaitable<void> expire_uploads_periodically(ServerContext& server, asio::steady_timer& timer,
                                                  std::chrono::hours expiry, std::chrono::seconds interval) {
  while (!server.stopping) {
    try {
      co_await sweep(server, expiry);
    } catch (const std::exception& e) {
      log_event("upload expiry failed: {}", e.what());
    }
    if (server.stopping) break;
    timer.expires_after(interval);
    asio::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
}

}  // namespace occhat::server
