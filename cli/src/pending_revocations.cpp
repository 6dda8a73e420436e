#include "pending_revocations.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "occhat/proto/limits.hpp"

namespace occhat::cli {
namespace {

constexpr const char* kFileName = "revoke.json";

}  // namespace

std::vector<PendingRevocations::Entry> PendingRevocations::load() const {
  std::vector<Entry> entries;
  std::ifstream in(home_.dir() / kFileName, std::ios::binary);
  if (!in) return entries;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  // A damaged file loses nothing that matters more than the login it would block: skip it.
  if (!json.is_object() || !json.contains("pending") || !json["pending"].is_array()) return entries;
  for (const auto& item : json["pending"]) {
    if (!item.is_object()) continue;
    const auto server = item.find("server");
    const auto token = item.find("token");
    if (server == item.end() || token == item.end() || !server->is_string() || !token->is_string()) continue;
    entries.push_back(Entry{server->get<std::string>(), token->get<std::string>()});
  }
  return entries;
}

void PendingRevocations::save(const std::vector<Entry>& entries) const {
  if (entries.empty()) {
    std::error_code ec;
    std::filesystem::remove(home_.dir() / kFileName, ec);
    return;
  }
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& e : entries) list.push_back({{"server", e.server}, {"token", e.token}});
  home_.write_private(kFileName, nlohmann::ordered_json{{"pending", list}}.dump(2) + "\n");
}

void PendingRevocations::add(const std::string& server, const std::string& token) const {
  auto entries = load();
  entries.push_back(Entry{server, token});
  if (entries.size() > proto::kMaxRevokeTokens) {
    entries.erase(entries.begin(), entries.end() - static_cast<std::ptrdiff_t>(proto::kMaxRevokeTokens));
  }
  save(entries);
}

std::vector<std::string> PendingRevocations::for_server(const std::string& server) const {
  std::vector<std::string> tokens;
  for (const auto& e : load()) {
    if (e.server == server) tokens.push_back(e.token);
  }
  return tokens;
}

void PendingRevocations::clear(const std::string& server) const {
  auto entries = load();
  std::erase_if(entries, [&](const Entry& e) { return e.server == server; });
  save(entries);
}

}  // namespace occhat::cli
