#include "daemon/jsonrpc.hpp"

#include "exit_codes.hpp"

namespace occhat::cli::daemon {

int rpc_code_for(ErrorCode code) noexcept { return -32000 - static_cast<int>(code); }

RpcError invalid_params(const std::string& message) {
  return RpcError{rpc_code::invalid_params, message,
                  Json{{"code", "invalid_argument"}, {"exit_code", exit_code_for(ErrorCode::invalid_argument)}}};
}

RpcError rpc_error(const Error& error) {
  Json data{{"code", std::string(error_code_name(error.code()))}, {"exit_code", exit_code_for(error.code())}};
  if (error.code() == ErrorCode::rate_limited) data["retry_after_ms"] = error.retry_after().count();
  return RpcError{rpc_code_for(error.code()), error.what(), std::move(data)};
}

ParsedLine parse_request(std::string_view line) {
  ParsedLine parsed;
  Json json;
  try {
    json = Json::parse(line);
  } catch (const Json::exception& e) {
    parsed.error = RpcError{rpc_code::parse_error, std::string("parse error: ") + e.what(), nullptr};
    return parsed;
  }
  const auto invalid = [&](const std::string& why) {
    parsed.error = RpcError{rpc_code::invalid_request, "invalid request: " + why, nullptr};
    return parsed;
  };
  if (json.is_array()) return invalid("batches are not supported; send one request per line");
  if (!json.is_object()) return invalid("a request is a JSON object");
  Request& request = parsed.request;
  if (const auto id = json.find("id"); id != json.end()) {
    if (!id->is_number_integer() && !id->is_string() && !id->is_null()) {
      return invalid("\"id\" must be an integer, a string or null");
    }
    request.id = *id;
  } else {
    request.notification = true;
  }
  if (json.value("jsonrpc", Json()) != "2.0") return invalid("\"jsonrpc\" must be \"2.0\"");
  const auto method = json.find("method");
  if (method == json.end() || !method->is_string()) return invalid("\"method\" must be a string");
  request.method = method->get<std::string>();
  const auto params = json.find("params");
  if (params == json.end() || params->is_null()) {
    request.params = Json::object();
  } else if (params->is_object()) {
    request.params = *params;
  } else {
    parsed.error = invalid_params("\"params\" must be an object (named parameters)");
    return parsed;
  }
  parsed.ok = true;
  return parsed;
}

Json result_response(const Json& id, Json result) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

Json error_response(const Json& id, const RpcError& error) {
  Json body{{"code", error.code}, {"message", error.message}};
  if (!error.data.is_null()) body["data"] = error.data;
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(body)}};
}

Json notification(std::string_view method, Json params) {
  return Json{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

std::string to_line(const Json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace occhat::cli::daemon
