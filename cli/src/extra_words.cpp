#include "extra_words.hpp"

#include <string>
#include <vector>

#include "errors.hpp"
#include "event_format.hpp"

namespace occhat::cli {
namespace {

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

}  // namespace

void keep_extra_words(CLI::App& root) {
  // Subcommands fall through to the root, so that is where CLI11 files a command's leftovers.
  root.allow_extras();
}

void check_extra_words(const CLI::App& root) {
  // The innermost command given (`room create` inside `room`) holds the leftovers.
  const CLI::App* app = &root;
  std::string command = root.get_name();
  while (!app->get_subcommands().empty()) {
    app = app->get_subcommands().front();
    command += " " + app->get_name();
  }
  if (app == &root) return;
  const std::vector<std::string> extras = root.remaining();
  if (extras.empty()) return;
  // allow_extras keeps unknown flags too; those are not text to quote.
  for (const auto& word : extras) {
    if (word.size() > 1 && word.front() == '-') {
      throw usage_error(escape_for_terminal("unknown option " + word + " (run: " + command + " --help)"));
    }
  }

  // Where the unquoted text began: the last positional filled; the ones before it stay as given.
  std::vector<std::string> filled;
  for (const CLI::Option* option : app->get_options()) {
    if (option->get_positional()) filled.insert(filled.end(), option->results().begin(), option->results().end());
  }
  std::string message = "too many arguments: " + join(extras);
  if (!filled.empty()) {
    std::vector<std::string> text{filled.back()};
    text.insert(text.end(), extras.begin(), extras.end());
    filled.pop_back();
    const std::string before = join(filled);
    message += " (quote text with spaces: " + command + (before.empty() ? "" : " " + before) + " '" +
               join(text) + "')";
  }
  throw usage_error(escape_for_terminal(message));
}

}  // namespace occhat::cli
