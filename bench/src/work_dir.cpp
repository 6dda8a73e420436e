#include "work_dir.hpp"

#include <stdlib.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <sstream>

#include "bench_error.hpp"

namespace occhat::bench {

namespace fs = std::filesystem;

WorkDir::WorkDir(const std::string& given, bool keep) : keep_(keep) {
  if (given.empty()) {
    char tmpl[] = "/tmp/occhat-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) throw BenchError("cannot create a work dir under /tmp");
    path_ = tmpl;
    owned_ = true;
  } else {
    std::error_code ec;
    fs::create_directories(given, ec);
    if (ec) throw BenchError("cannot create work dir " + given + ": " + ec.message());
    path_ = fs::absolute(given).string();
  }
}

WorkDir::~WorkDir() {
  // A failed run keeps its files: the error message points at the server's log.
  if (keep_ || std::uncaught_exceptions() > 0) {
    std::fprintf(stderr, "occhat-bench: kept work dir %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  if (owned_) {
    fs::remove_all(path_, ec);
    return;
  }
  // A directory we were given may hold other people's files: remove only ours.
  std::istringstream lines(created_subdirs_);
  for (std::string sub; std::getline(lines, sub);) fs::remove_all(sub, ec);
}

std::string WorkDir::fresh_subdir(const std::string& name) {
  const std::string sub = path_ + "/" + name;
  std::error_code ec;
  fs::remove_all(sub, ec);
  fs::create_directories(sub + "/data", ec);
  if (ec) throw BenchError("cannot create " + sub + ": " + ec.message());
  created_subdirs_ += sub + "\n";
  return sub;
}

}  // namespace occhat::bench
