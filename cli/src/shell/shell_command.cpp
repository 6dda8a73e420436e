// occhat shell: the interactive client — a live friend list, chats, and pushed events printed
// above the prompt. See shell_session.hpp for the loop and commands.cpp for what a line does.

#include "command.hpp"
#include "shell/shell_session.hpp"

namespace occhat::cli {
namespace {

class ShellCommand final : public Command {
 public:
  std::string name() const override { return "shell"; }
  std::string description() const override {
    return "Interactive chat: live friend list, /chat ID, /help for commands";
  }
  void configure(CLI::App&) override {}
  void run(Context& ctx) override {
    ShellSession session(ctx);
    session.run();
  }
};

}  // namespace

std::unique_ptr<Command> make_shell_command() { return std::make_unique<ShellCommand>(); }

}  // namespace occhat::cli
