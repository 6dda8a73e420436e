#include "daemon/dispatcher.hpp"

#include <exception>

#include "daemon/jsonrpc.hpp"
#include "daemon/methods.hpp"
#include "daemon/params.hpp"

namespace occhat::cli::daemon {

Json Dispatcher::greeting() const { return notification("hello", hello_json(link_)); }

void Dispatcher::handle_too_long(Peer& peer) {
  peer.send(error_response(nullptr, RpcError{rpc_code::invalid_request,
                                             "invalid request: line longer than " +
                                                 std::to_string(kMaxLineBytes) + " bytes (discarded)",
                                             nullptr}));
}

void Dispatcher::handle_line(Peer& peer, std::string_view line) {
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank lines are no requests
  const ParsedLine parsed = parse_request(line);
  const Request& request = parsed.request;
  if (!parsed.ok) {
    peer.send(error_response(request.id, parsed.error));
    return;
  }
  const auto answer_error = [&](const RpcError& error) {
    if (!request.notification) peer.send(error_response(request.id, error));
  };
  const Method* method = find_method(request.method);
  if (method == nullptr) {
    answer_error(RpcError{rpc_code::method_not_found, "method not found: " + request.method, nullptr});
    return;
  }
  // Never wait for a reconnect: the client hears at once and may retry after "restored".
  if (method->needs_server && !link_.ready()) {
    answer_error(rpc_error(Error(ErrorCode::unavailable, "not connected to the server (reconnecting); try again after the \"restored\" notification")));
    return;
  }
  try {
    Params params(request.params);
    Call call{client_, link_, hub_, peer, params};
    Json result = method->handler(call);
    if (!request.notification) peer.send(result_response(request.id, std::move(result)));
  } catch (const RpcError& error) {
    answer_error(error);
  } catch (const Error& error) {
    answer_error(rpc_error(error));
  } catch (const std::exception& e) {
    answer_error(RpcError{rpc_code::internal_error, std::string("internal error: ") + e.what(), nullptr});
  }
}

}  // namespace occhat::cli::daemon
