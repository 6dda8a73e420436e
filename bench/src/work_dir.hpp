#pragma once
// The directory a benchmark run works in: the server's data dir, its log, test files.

#include <string>

namespace occhat::bench {

class WorkDir {
 public:
  // `given` empty: creates /tmp/occhat-bench-XXXXXX (removed by the destructor unless keep).
  // Otherwise uses (and creates) `given`, removing only what this run put there.
  WorkDir(const std::string& given, bool keep);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  const std::string& path() const { return path_; }
  // A fresh subdirectory for one server instance ("run-N"), so subcommand stages never share state.
  std::string fresh_subdir(const std::string& name);

 private:
  std::string path_;
  bool owned_ = false;
  bool keep_ = false;
  std::string created_subdirs_;  // newline-separated, for cleanup of a given dir
};

}  // namespace occhat::bench
