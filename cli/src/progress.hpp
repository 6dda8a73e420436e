#pragma once
// A one-line progress bar on stderr for `upload` and `download`.
//
// Drawn only when stderr is a terminal and the output is not --json (scripts and pipes see
// nothing), redrawn at most 10 times a second, and erased when the transfer ends (so the result
// line on stdout is all that remains).

#include <chrono>
#include <cstdint>
#include <string>

#include "occhat/client.hpp"
#include "output.hpp"

namespace occhat::cli {

class ProgressBar {
 public:
  // `label` is shown before the bar (already escaped for the terminal).
  ProgressBar(const Output& out, std::string label);
  ~ProgressBar();  // erases the bar if it was drawn
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const noexcept { return enabled_; }

  // Pass to the SDK; refers to this object, which must outlive the transfer.
  ProgressCallback callback();

  // Erases the bar (idempotent).
  void clear() noexcept;

 private:
  using Clock = std::chrono::steady_clock;

  void update(std::uint64_t done, std::uint64_t total);
  void draw(std::uint64_t done, std::uint64_t total);

  bool enabled_;
  bool drawn_ = false;
  std::string label_;
  Clock::time_point start_;
  Clock::time_point last_draw_{};
  std::uint64_t first_done_ = 0;  // bytes a resume skipped: not counted in the speed
  bool started_ = false;
};

}  // namespace occhat::cli
