#pragma once
// Where `occhat download` puts a file: -o PATH, -o DIR (an existing directory: into it), -o -
// (stdout), or the file's name made safe, in the current directory.

#include <cstdint>
#include <optional>
#include <string>

namespace occhat::cli {

struct DownloadTarget {
  std::string path;     // the file to write (for stdout: a private temporary file)
  bool to_stdout = false;  // -o -: copy the finished file to stdout, then delete it
};

// The target for `output` (-o, nullopt when not given) and the file's display `name` and `id`.
// Throws a usage error for an empty -o, and when the path is an existing directory (a file
// cannot replace it, --force or not) or, without `force`, exists at all.
DownloadTarget download_target(const std::optional<std::string>& output, const std::string& name,
                               std::uint64_t id, bool force);

// Deletes a stdout target's private directory (after a failed download too).
void remove_temp_target(const std::string& path);

// Copies `path` to stdout and deletes it and its private directory (for DownloadTarget::to_stdout).
// Throws Error(internal) when stdout cannot be written.
void send_to_stdout(const std::string& path);

}  // namespace occhat::cli
