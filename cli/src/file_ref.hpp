#pragma once
// FILE arguments (`download FILE`): a file id, or the name of exactly one file shared with you.

#include <string>

#include "occhat/client.hpp"

namespace occhat::cli {

// All digits: that file's info (file_info). Otherwise the one file among files(0) (sent or
// received) whose name is exactly `ref`. Throws not_found "no file named X", a usage error
// "several files are named X (ids 7, 9): use an id", or what file_info throws (not_found,
// not_allowed).
FileInfo resolve_file(Client& client, const std::string& ref);

}  // namespace occhat::cli
