// occhat files ID: every file exchanged with a user (both directions, unfinished uploads too),
// oldest first, one line each. The newest that fit in one answer (about 900); --before FILE_ID
// and --limit N page back through a longer history.

#include <cstdio>

#include "command.hpp"
#include "connection.hpp"
#include "event_format.hpp"
#include "user_id.hpp"

namespace occhat::cli {
namespace {

class FilesCommand final : public Command {
 public:
  std::string name() const override { return "files"; }
  std::string description() const override {
    return "List the files exchanged with a user, oldest first";
  }

  void configure(CLI::App& sub) override {
    sub.add_option("ID", id_, "The other user's 6-digit id")->required()->check(user_id_validator());
    sub.add_option("--before", before_, "Only files listed before file FILE_ID (older ones)")->type_name("FILE_ID");
    sub.add_option("--limit", limit_, "At most N files (the newest of them)")->type_name("N")->check(CLI::Range(1, 100000));
  }

  void run(Context& ctx) override {
    const UserId peer = parse_user_id(id_);
    const auto logged_in = open_logged_in(ctx);
    const FilePage page = logged_in.client->files_page(peer, before_, limit_);
    for (const FileInfo& f : page.files) {
      ctx.out.result(format_file_line(f), file_json(f));
    }
    if (page.more && !page.files.empty() && !ctx.out.json()) {
      std::fprintf(stderr, "older files: occhat files %s --before %llu\n", id_.c_str(),
                   static_cast<unsigned long long>(page.files.front().id));
    }
  }

 private:
  std::string id_;
  FileId before_ = 0;
  std::uint32_t limit_ = 0;
};

}  // namespace

std::unique_ptr<Command> make_files_command() { return std::make_unique<FilesCommand>(); }

}  // namespace occhat::cli
