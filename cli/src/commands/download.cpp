// occhat download FILE [-o PATH] [--resume] [--force]: fetches a file sent to (or by) you.
//
// The bytes land in PATH.part and become PATH only once the whole file's SHA-256 matched (the
// SDK does that); without -o, PATH is the file's name made safe for the current directory.

#include <filesystem>
#include <optional>
#include <system_error>

#include "command.hpp"
#include "connection.hpp"
#include "errors.hpp"
#include "event_format.hpp"
#include "file_ref.hpp"
#include "progress.hpp"
#include "safe_local_name.hpp"

namespace occhat::cli {
namespace {

bool path_exists(const std::string& path) {
  std::error_code ec;
  // symlink_status: a dangling link still occupies the name.
  return std::filesystem::exists(std::filesystem::symlink_status(path, ec));
}

class DownloadCommand final : public Command {
 public:
  std::string name() const override { return "download"; }
  std::string description() const override {
    return "Download a file by id (or by name when only one file has it)";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("FILE", ref_, "A file id, or a file name that only one of your files has")
        ->required();
    sub.add_option("-o,--output", output_, "Where to write it (default: its name, made safe, in "
                                           "the current directory)")
        ->type_name("PATH");
    sub.add_flag("--resume", resume_, "Continue PATH.part from an earlier, interrupted download");
    sub.add_flag("--force", force_, "Overwrite PATH if it exists");
  }

  void run(Context& ctx) override {
    if (output_ && output_->empty()) throw usage_error("-o needs a path");
    const auto logged_in = open_logged_in(ctx);
    Client& client = *logged_in.client;

    const FileInfo info = resolve_file(client, ref_);
    const std::string path = output_ ? *output_ : safe_local_name(info.name, info.id);
    const std::string shown_path = escape_for_terminal(path);
    if (!force_ && path_exists(path)) throw usage_error(shown_path + " exists (use --force or -o)");

    ProgressBar bar(ctx.out, escape_for_terminal(info.name));
    const DownloadResult result = client.download_file(info.id, path, resume_, bar.callback());
    bar.clear();

    const FileInfo& f = result.file;
    ctx.out.result("downloaded " + escape_for_terminal(f.name) + " to " + shown_path + " (" +
                       std::to_string(f.size) + " bytes); received " +
                       std::to_string(result.bytes_received) + " bytes, resumed at " +
                       std::to_string(result.resumed_from),
                   Json{{"id", f.id},
                        {"name", f.name},
                        {"path", path},
                        {"size", f.size},
                        {"sha256", f.sha256},
                        {"received_bytes", result.bytes_received},
                        {"resumed_from", result.resumed_from}});
  }

 private:
  std::string ref_;
  std::optional<std::string> output_;
  bool resume_ = false;
  bool force_ = false;
};

}  // namespace

std::unique_ptr<Command> make_download_command() { return std::make_unique<DownloadCommand>(); }

}  // namespace occhat::cli
