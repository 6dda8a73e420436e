#include "command.hpp"
#include "errors.hpp"

namespace occhat::cli {
namespace {

class ShellCommand : public Command {
 public:
  std::string name() const override { return "shell"; }
  std::string description() const override { return "Interactive chat (not built yet)"; }
  void configure(CLI::App&) override {}
  void run(Context&) override {
    throw Error(ErrorCode::internal, "the interactive shell is not built yet");
  }
};

}  // namespace

std::unique_ptr<Command> make_shell_command() { return std::make_unique<ShellCommand>(); }

}  // namespace occhat::cli
