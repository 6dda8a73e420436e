// occhat files ID: every file exchanged with a user (both directions, unfinished uploads too),
// oldest first, one line each.

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
  }

  void run(Context& ctx) override {
    const UserId peer = parse_user_id(id_);
    const auto logged_in = open_logged_in(ctx);
    for (const FileInfo& f : logged_in.client->files(peer)) {
      ctx.out.result(format_file_line(f), file_json(f));
    }
  }

 private:
  std::string id_;
};

}  // namespace

std::unique_ptr<Command> make_files_command() { return std::make_unique<FilesCommand>(); }

}  // namespace occhat::cli
