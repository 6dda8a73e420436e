#include "help_formatter.hpp"

#include <vector>

namespace occhat::cli {

std::string HelpFormatter::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const {
  std::string help = CLI::Formatter::make_help(app, std::move(name), mode);
  if (app->get_parent() == nullptr || mode != CLI::AppFormatMode::Normal) return help;
  const CLI::App* root = app;
  while (root->get_parent() != nullptr) root = root->get_parent();
  // The root's own flags, minus --help/--version: a subcommand has its own --help, and
  // `occhat room --version` is not a thing anyone wants.
  std::vector<const CLI::Option*> globals;
  for (const CLI::Option* option : root->get_options()) {
    if (option == root->get_help_ptr() || option->get_name() == "--version" || option->get_positional()) continue;
    globals.push_back(option);
  }
  if (globals.empty()) return help;
  const std::string group = make_group("Global options", false, globals);
  // Before the footer (exit codes, examples), after the command's own options.
  const std::string footer = make_footer(app);
  if (!footer.empty() && help.size() >= footer.size() + 1 &&
      help.compare(help.size() - footer.size(), footer.size(), footer) == 0) {
    help.insert(help.size() - footer.size() - 1, group);
  } else {
    help += group;
  }
  return help;
}

}  // namespace occhat::cli
