#pragma once
// JSON-RPC 2.0 framing for `occhat daemon`: one JSON object per line (newline-delimited), parsed
// and built only here. See the README, "occhat daemon (JSON-RPC)", for the protocol.

#include <cstddef>
#include <string>
#include <string_view>

#include "occhat/error.hpp"
#include "output.hpp"

namespace occhat::cli::daemon {

// The version of the daemon's methods, results and notifications ("schema" in hello). Bumped
// only for a change that breaks a client; new methods and new keys do not.
inline constexpr int kSchemaVersion = 1;

// A longer line is answered with invalid_request and discarded (the reader never holds more).
inline constexpr std::size_t kMaxLineBytes = 1 << 20;

// The standard codes, and the occhat errors' codes: -32000 - the ErrorCode's wire value
// (e.g. not_found 6 -> -32006), so a code never changes meaning.
namespace rpc_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
}  // namespace rpc_code
int rpc_code_for(ErrorCode code) noexcept;

// A failure answered as a JSON-RPC error object. `data` (may be null) goes out as is.
struct RpcError {
  int code = rpc_code::internal_error;
  std::string message;
  Json data;
};

// Bad parameters of a known method: invalid_params, with data {"code":"invalid_argument",
// "exit_code":1} like the CLI's usage errors.
RpcError invalid_params(const std::string& message);
// An occhat::Error: its code, message, and data {"code":NAME,"exit_code":N[,"retry_after_ms":N]}.
RpcError rpc_error(const Error& error);

struct Request {
  Json id;            // number, string or null; absent for a notification
  bool notification = false;  // no "id": never answered
  std::string method;
  Json params;        // an object (absent params: {})
};

// Parses one line into a request. On failure `error` is set and `request.id` holds the id when
// the line got that far (else null), for the error response.
struct ParsedLine {
  Request request;
  bool ok = false;
  RpcError error;
};
ParsedLine parse_request(std::string_view line);

Json result_response(const Json& id, Json result);
Json error_response(const Json& id, const RpcError& error);
Json notification(std::string_view method, Json params);

// `json` as one line with its newline; invalid UTF-8 in strings is replaced, never thrown.
std::string to_line(const Json& json);

}  // namespace occhat::cli::daemon
