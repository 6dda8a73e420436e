// occhat help [COMMAND]: the same text as `occhat --help` or `occhat COMMAND --help`, for users
// who type it the git way.

#include <iostream>
#include <optional>

#include "command.hpp"
#include "errors.hpp"
#include "event_format.hpp"

namespace occhat::cli {
namespace {

class HelpCommand final : public Command {
 public:
  std::string name() const override { return "help"; }
  std::string description() const override { return "Show the help of occhat or of one command"; }

  void configure(CLI::App& sub) override {
    root_ = sub.get_parent();
    sub.add_option("COMMAND", command_, "The command to explain");
  }

  void run(Context&) override {
    // Not root_->help(): that shows the parsed subcommand's help, which is this one.
    std::string text = root_->get_formatter()->make_help(root_, root_->get_name(), CLI::AppFormatMode::Normal);
    if (command_) {
      const CLI::App* about = nullptr;
      for (const CLI::App* sub : root_->get_subcommands({})) {
        if (sub->check_name(*command_)) about = sub;
      }
      if (about == nullptr) {
        throw usage_error("unknown command \"" + escape_for_terminal(*command_) + "\" (run: occhat help)");
      }
      text = about->help(root_->get_name());
    }
    std::cout << text << std::flush;
    if (!std::cout) {
      std::cout.clear();
      throw Error(ErrorCode::internal, "cannot write to stdout");
    }
  }

 private:
  const CLI::App* root_ = nullptr;
  std::optional<std::string> command_;
};

}  // namespace

std::unique_ptr<Command> make_help_command() { return std::make_unique<HelpCommand>(); }

}  // namespace occhat::cli
