#include "config_file.hpp"

#include <fmt/format.h>

#include <fstream>
#include <string_view>

namespace occhat::server {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// A value as written: bare, or in double quotes (TOML basic string: \" and \\ escapes), or in
// single quotes (taken literally). Returns false for an unterminated or trailing-garbage quote.
bool unquote(std::string_view text, std::string& value) {
  value.clear();
  if (text.empty() || (text.front() != '"' && text.front() != '\'')) {
    value.assign(text);
    return true;
  }
  const char quote = text.front();
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == quote) return trim(text.substr(i + 1)).empty();
    if (quote == '"' && c == '\\' && i + 1 < text.size()) {
      value.push_back(text[++i]);
      continue;
    }
    value.push_back(c);
  }
  return false;
}

std::string flag_name(std::string_view key) {
  std::string name(key);
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

}  // namespace

std::vector<ConfigEntry> read_config_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("cannot read config file {}", path.string()));
  std::vector<ConfigEntry> entries;
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    const std::string_view text = trim(raw);
    if (text.empty() || text.front() == '#' || text.front() == ';') continue;
    const auto where = [&] { return fmt::format("{}:{}", path.string(), line); };
    if (text.front() == '[') {
      if (text != "[server]") {
        throw ConfigError(fmt::format("{}: unknown section {} (only [server] is allowed)", where(), text));
      }
      continue;
    }
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
      throw ConfigError(fmt::format("{}: expected key = value, got '{}'", where(), text));
    }
    ConfigEntry entry;
    entry.key = flag_name(trim(text.substr(0, equals)));
    entry.line = line;
    if (entry.key.empty()) throw ConfigError(fmt::format("{}: a key is missing before '='", where()));
    if (!unquote(trim(text.substr(equals + 1)), entry.value)) {
      throw ConfigError(fmt::format("{}: unterminated or malformed quoted value", where()));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<std::string> config_arguments(const std::filesystem::path& path, const std::vector<ConfigEntry>& entries,
                                          const std::function<void(CLI::App&)>& define_flags) {
  std::vector<std::string> args;
  for (const ConfigEntry& entry : entries) {
    const std::string where = fmt::format("{}:{}", path.string(), entry.line);
    const std::string flag = "--" + entry.key;
    CLI::App probe;
    define_flags(probe);
    if (entry.key == "config" || entry.key == "help" || entry.key == "version" ||
        probe.get_option_no_throw(flag) == nullptr) {
      throw ConfigError(fmt::format("{}: unknown key '{}' (every flag of occhat-server --help is a key)", where,
                                    entry.key));
    }
    // A flag without a value on the command line (reuse-port = true) takes its value as
    // --flag=VALUE. CLI11 parses its arguments in reverse order.
    const bool bare_flag = probe.get_option_no_throw(flag)->get_type_size_max() == 0;
    std::vector<std::string> one = bare_flag ? std::vector<std::string>{flag + "=" + entry.value}
                                             : std::vector<std::string>{entry.value, flag};
    try {
      probe.parse(one);
    } catch (const CLI::ParseError& e) {
      throw ConfigError(fmt::format("{}: bad value for {}: {}", where, entry.key, e.what()));
    }
    if (bare_flag) {
      args.push_back(one.front());
    } else {
      args.push_back(flag);
      args.push_back(entry.value);
    }
  }
  return args;
}

std::string config_path_in(int argc, char** argv) {
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      path = std::string(arg.substr(9));
    }
  }
  return path;
}

}  // namespace occhat::server
