// occhat download FILE [-o PATH|DIR|-] [--restart] [--force]: fetches a file sent to (or by) you.
//
// The bytes land in PATH.part and become PATH only once the whole file's SHA-256 matched (the
// SDK does that). A PATH.part whose validator names this same file is continued, like `upload`
// continues: re-running the command is how an interrupted download resumes. --restart drops it.

#include <optional>

#include "command.hpp"
#include "connection.hpp"
#include "download_target.hpp"
#include "errors.hpp"
#include "event_format.hpp"
#include "result_json.hpp"
#include "file_ref.hpp"
#include "interrupt_hint.hpp"
#include "progress.hpp"

namespace occhat::cli {
namespace {

class DownloadCommand final : public Command {
 public:
  std::string name() const override { return "download"; }
  std::string description() const override {
    return "Download a file by id (or by name when only one file has it); re-run to resume";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("FILE", ref_, "A file id, or a file name that only one of your files has")
        ->required();
    sub.add_option("-o,--output", output_,
                   "Where to write it: a path, an existing directory to put it in, or - for stdout "
                   "(default: its name, made safe, in the current directory)")
        ->type_name("PATH");
    auto* restart = sub.add_flag("--restart", restart_, "Start over, dropping PATH.part from an earlier download");
    // Resuming is the default now; the flag stays accepted so existing scripts keep working.
    sub.add_flag("--resume", resume_, "Continue PATH.part from an earlier download (the default)")->excludes(restart);
    sub.add_flag("--force", force_, "Overwrite PATH if it exists");
  }

  void run(Context& ctx) override {
    const auto logged_in = open_logged_in(ctx);
    Client& client = *logged_in.client;

    const FileInfo info = resolve_file(client, ref_);
    const DownloadTarget target = download_target(output_, info.name, info.id, force_);
    try {
      download(ctx, client, info, target);
    } catch (...) {
      if (target.to_stdout) remove_temp_target(target.path);
      throw;
    }
  }

 private:
  void download(Context& ctx, Client& client, const FileInfo& info, const DownloadTarget& target) const {
    const std::string shown_path = escape_for_terminal(target.path);
    // What the user types to continue; a stdout download has no part file to continue from.
    const std::string again = target.to_stdout ? "interrupted; run the same command again to start over"
                                            : "interrupted; run the same command again to resume from " +
                                                  shown_path + ".part";
    DownloadResult result;
    {
      const InterruptHint hint(ctx.out, again);
      ProgressBar bar(ctx.out, escape_for_terminal(info.name));
      try {
        result = client.download_file(info.id, target.path, !restart_, bar.callback());
      } catch (const Error& e) {
        if (!is_connection_error(e) || target.to_stdout) throw;
        throw Error(e.code(), std::string(e.what()) + " (run the same command again to resume)");
      }
      bar.clear();
    }
    if (target.to_stdout) {
      send_to_stdout(target.path);  // the file is the output: no result line mixed into it
      return;
    }
    const FileInfo& f = result.file;
    ctx.out.result("downloaded " + escape_for_terminal(f.name) + " to " + shown_path + " (" +
                       std::to_string(f.size) + " bytes); received " +
                       std::to_string(result.bytes_received) + " bytes, resumed at " +
                       std::to_string(result.resumed_from),
                   download_result_json(result, target.path));
  }

  std::string ref_;
  std::optional<std::string> output_;
  bool resume_ = false;
  bool restart_ = false;
  bool force_ = false;
};

}  // namespace

std::unique_ptr<Command> make_download_command() { return std::make_unique<DownloadCommand>(); }

}  // namespace occhat::cli
