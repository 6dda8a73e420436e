// occhat files ID | --room ROOM: every file exchanged with a user (both directions, unfinished
// uploads too), or every member's files of a room, oldest first, one line each. The newest that
// fit in one answer (about 900); --before FILE_ID and --limit N page back through a longer history.

#include <cstdio>

#include "command.hpp"
#include "connection.hpp"
#include "destination.hpp"
#include "event_format.hpp"
#include "older_page_hint.hpp"

namespace occhat::cli {
namespace {

class FilesCommand final : public Command {
 public:
  std::string name() const override { return "files"; }
  std::string description() const override {
    return "List the files exchanged with a user (or of a room), oldest first";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The other user's 6-digit id (not with --room)");
    add_room_option(sub, room_, "List room ROOM's files");
    sub.add_option("--before", before_, "Only files listed before file FILE_ID (older ones)")->type_name("FILE_ID");
    sub.add_option("--limit", limit_, "At most N files (the newest of them)")->type_name("N")->check(CLI::Range(1, 100000));
  }

  void run(Context& ctx) override {
    const Destination peer = resolve_destination(room_, id_, nullptr);
    const auto logged_in = open_logged_in(ctx);
    const FilePage page = peer.room != 0 ? logged_in.client->room_files_page(peer.room, before_, limit_)
                                         : logged_in.client->files_page(peer.user, before_, limit_);
    for (const FileInfo& f : page.files) {
      ctx.out.result(format_file_line(f), file_json(f));
    }
    if (page.more && !page.files.empty()) print_older_page_hint(ctx.out, "files", peer, page.files.front().id);
  }

 private:
  std::optional<std::string> id_;
  std::optional<std::string> room_;
  FileId before_ = 0;
  std::uint32_t limit_ = 0;
};

}  // namespace

std::unique_ptr<Command> make_files_command() { return std::make_unique<FilesCommand>(); }

}  // namespace occhat::cli
