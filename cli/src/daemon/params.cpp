#include "daemon/params.hpp"

#include "daemon/jsonrpc.hpp"

namespace occhat::cli::daemon {
namespace {

constexpr std::uint64_t kMinUser = 100000;
constexpr std::uint64_t kMaxUser = 999999;
constexpr std::uint64_t kMinRoom = 1000000;
constexpr std::uint64_t kMaxRoom = 4294967295ULL;

}  // namespace

const Json* Params::find(const char* key) {
  known_.insert(key);
  const auto it = params_.find(key);
  if (it == params_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> Params::optional_string(const char* key) {
  const Json* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) throw invalid_params(std::string("\"") + key + "\" must be a string");
  return value->get<std::string>();
}

std::string Params::string(const char* key) {
  auto value = optional_string(key);
  if (!value) throw invalid_params(std::string("missing \"") + key + "\"");
  return std::move(*value);
}

std::optional<std::uint64_t> Params::optional_uint(const char* key, std::uint64_t min, std::uint64_t max) {
  const Json* value = find(key);
  if (value == nullptr) return std::nullopt;
  const bool in_range = value->is_number_unsigned() && value->get<std::uint64_t>() >= min &&
                        value->get<std::uint64_t>() <= max;
  if (!in_range) {
    throw invalid_params(std::string("\"") + key + "\" must be an integer from " + std::to_string(min) + " to " +
                         std::to_string(max));
  }
  return value->get<std::uint64_t>();
}

std::uint64_t Params::uint(const char* key, std::uint64_t min, std::uint64_t max) {
  const auto value = optional_uint(key, min, max);
  if (!value) throw invalid_params(std::string("missing \"") + key + "\"");
  return *value;
}

bool Params::flag(const char* key) {
  const Json* value = find(key);
  if (value == nullptr) return false;
  if (!value->is_boolean()) throw invalid_params(std::string("\"") + key + "\" must be true or false");
  return value->get<bool>();
}

std::optional<UserId> Params::optional_user(const char* key) {
  const Json* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number_unsigned() || value->get<std::uint64_t>() < kMinUser || value->get<std::uint64_t>() > kMaxUser) {
    throw invalid_params(std::string("\"") + key + "\" must be a 6-digit user id (a number)");
  }
  return static_cast<UserId>(value->get<std::uint64_t>());
}

UserId Params::user(const char* key) {
  const auto value = optional_user(key);
  if (!value) throw invalid_params(std::string("missing \"") + key + "\" (a 6-digit user id)");
  return *value;
}

RoomId Params::room(const char* key) {
  const Json* value = find(key);
  if (value == nullptr) throw invalid_params(std::string("missing \"") + key + "\" (a room id)");
  if (!value->is_number_unsigned() || value->get<std::uint64_t>() < kMinRoom || value->get<std::uint64_t>() > kMaxRoom) {
    throw invalid_params(std::string("\"") + key + "\" must be a room id (a number, 1000000 and up)");
  }
  return static_cast<RoomId>(value->get<std::uint64_t>());
}

std::vector<UserId> Params::users(const char* key) {
  const Json* value = find(key);
  if (value == nullptr || !value->is_array() || value->empty()) {
    throw invalid_params(std::string("\"") + key + "\" must be a non-empty array of 6-digit user ids");
  }
  std::vector<UserId> ids;
  for (const Json& item : *value) {
    if (!item.is_number_unsigned() || item.get<std::uint64_t>() < kMinUser || item.get<std::uint64_t>() > kMaxUser) {
      throw invalid_params(std::string("\"") + key + "\" must be a non-empty array of 6-digit user ids");
    }
    ids.push_back(static_cast<UserId>(item.get<std::uint64_t>()));
  }
  return ids;
}

Destination Params::optional_destination(const char* user_key) {
  const bool has_room = find("room") != nullptr;
  const auto user = optional_user(user_key);
  if (has_room && user) throw invalid_params(std::string("give either \"") + user_key + "\" or \"room\", not both");
  Destination to;
  if (has_room) to.room = room("room");
  if (user) to.user = *user;
  return to;
}

Destination Params::destination(const char* user_key) {
  const Destination to = optional_destination(user_key);
  if (to.room == 0 && to.user == 0) {
    throw invalid_params(std::string("missing \"") + user_key + "\" (a user id) or \"room\" (a room id)");
  }
  return to;
}

void Params::finish() const {
  for (const auto& [key, value] : params_.items()) {
    if (!known_.contains(key)) throw invalid_params("unknown parameter \"" + key + "\"");
  }
}

}  // namespace occhat::cli::daemon
