#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace occhat::cli {
namespace {

constexpr auto kMinRedraw = std::chrono::milliseconds(100);  // at most 10 redraws a second

std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024.0 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return buf;
}

// Cuts `text` to `width` bytes without splitting a UTF-8 sequence.
std::string fit(std::string text, std::size_t width) {
  if (text.size() <= width) return text;
  std::size_t cut = width;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

void write_stderr(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

ProgressBar::ProgressBar(const Output& out, std::string label)
    : enabled_(!out.json() && ::isatty(STDERR_FILENO) == 1),
      label_(std::move(label)),
      start_(Clock::now()) {}

ProgressBar::~ProgressBar() { clear(); }

ProgressCallback ProgressBar::callback() {
  if (!enabled_) return {};
  return [this](std::uint64_t done, std::uint64_t total) { update(done, total); };
}

void ProgressBar::clear() noexcept {
  if (!drawn_) return;
  drawn_ = false;
  static constexpr char kErase[] = "\r\033[K";
  std::fwrite(kErase, 1, sizeof kErase - 1, stderr);
  std::fflush(stderr);
}

void ProgressBar::update(std::uint64_t done, std::uint64_t total) {
  const auto now = Clock::now();
  if (!started_) {
    started_ = true;
    first_done_ = done;
    start_ = now;
  }
  if (drawn_ && now - last_draw_ < kMinRedraw) return;
  last_draw_ = now;
  draw(done, total);
}

void ProgressBar::draw(std::uint64_t done, std::uint64_t total) {
  const double fraction =
      total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  const double moved = static_cast<double>(done - std::min(done, first_done_));

  char percent[16];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100.0));
  std::string tail = std::string(" ") + percent + "  " + human_bytes(static_cast<double>(done)) +
                     " / " + human_bytes(static_cast<double>(total));
  if (seconds > 0.2) tail += "  " + human_bytes(moved / seconds) + "/s";

  // Leave the last column free: writing into it makes some terminals wrap.
  const std::size_t width = terminal_width() - 1;
  std::string label = fit(label_, std::min<std::size_t>(30, width / 3));
  const std::size_t fixed = label.size() + 3 + tail.size();  // "label [" ... "]"
  std::string line = label + " [";
  if (width > fixed + 10) {
    const std::size_t bar = std::min<std::size_t>(40, width - fixed);
    const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(bar));
    line += std::string(filled, '#') + std::string(bar - filled, '.');
  }
  line += "]" + tail;
  write_stderr("\r" + fit(line, width) + "\033[K");
  drawn_ = true;
}

}  // namespace occhat::cli
