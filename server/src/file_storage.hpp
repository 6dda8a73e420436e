#pragma once
// The bytes of files, under the files dir (--files-dir, default DATA_DIR/files/; never in the
// database, whichever store it is): uploads/<upload_id>.part while an upload is
// unfinished, published/<file_id> after. Both names are server-made numbers; a client's file name
// never reaches a path. Directories are created 0700.
//
// Every call blocks on disk I/O: call it on the file I/O pool, never on the network or store
// thread. Calls are thread-safe (no shared state beyond the paths); the server makes sure one
// upload is not written by two calls at once. Failures throw RequestError: RESOURCE_EXHAUSTED
// for a full disk or quota, INTERNAL for other I/O errors (details go to the log only).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "occhat/proto/sha256.hpp"

namespace occhat::server {

class FileStorage {
 public:
  // Keeps the files under `files_dir`, creating it and its directories if needed. Throws
  // std::runtime_error if it cannot.
  explicit FileStorage(const std::filesystem::path& files_dir);

  // Bytes received so far (the part file's size), creating an empty part file if none exists.
  // An upload whose bytes were already published (a crash between publishing and committing
  // its row) has no part file: its published file's size is answered and nothing is created,
  // so the client finishes it instead of starting over.
  std::uint64_t open_part(std::uint64_t upload_id) const;

  // The part file's size, or nullopt if there is none (nothing is created).
  std::optional<std::uint64_t> part_size(std::uint64_t upload_id) const;
  // The published file's size, or nullopt if there is none.
  std::optional<std::uint64_t> published_size(std::uint64_t file_id) const;
  // SHA-256 of the first `size` bytes of published file `file_id` (start-up recovery).
  proto::Sha256Digest hash_published(std::uint64_t file_id, std::uint64_t size) const;

  // Appends `data` at `offset`, which must be the part file's size (else RequestError(conflict)
  // "upload is at offset N"). No fsync: finish() syncs once, and the SHA-256 check catches any
  // damage. Returns the new size. On a failed write the part is cut back to `offset`.
  std::uint64_t append(std::uint64_t upload_id, std::uint64_t offset, std::span<const std::uint8_t> data) const;

  // fsyncs the part file and hashes its first `size` bytes. Throws RequestError(conflict) if it
  // holds a different number of bytes. Without a part file, an already published file of the
  // same id is checked instead (finish after a crash between publish() and the commit).
  proto::Sha256Digest sync_and_hash(std::uint64_t upload_id, std::uint64_t size) const;

  // Moves the (synced) part file to published/<file_id> and fsyncs the directory, so the bytes
  // are at their final place before the caller commits the row. Idempotent: if the part is gone
  // and the published file is there, it only syncs.
  void publish(std::uint64_t upload_id, std::uint64_t file_id) const;
  // Undoes publish() when the commit failed, so nothing is left half-published.
  void unpublish(std::uint64_t file_id, std::uint64_t upload_id) const;

  // Best effort, for discarded and expired uploads.
  void remove_part(std::uint64_t upload_id) const;
  // Best effort, for the files of a deleted room.
  void remove_published(std::uint64_t file_id) const;

  // The part file's last modification, or nullopt if it does not exist.
  std::optional<std::filesystem::file_time_type> part_modified(std::uint64_t upload_id) const;

  // Up to `length` bytes of published file `file_id` from `offset` (fewer at the end).
  std::string read(std::uint64_t file_id, std::uint64_t offset, std::uint32_t length) const;

  // Bytes free for us on the data dir's file system (statvfs f_bavail * f_frsize).
  std::uint64_t free_bytes() const;

  std::filesystem::path part_path(std::uint64_t upload_id) const;
  std::filesystem::path published_path(std::uint64_t file_id) const;

 private:
  std::filesystem::path root_;
  std::filesystem::path uploads_;
  std::filesystem::path published_;
};

}  // namespace occhat::server
