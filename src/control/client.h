// A blocking JSON-RPC-over-HTTP client for `tandem ctl` and tests. Blocking by design: it runs in
// a command-line tool or a test thread, never on an event loop thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tandem::control {

struct Url {
  std::string host;  // a name or a numeric address; IPv6 without brackets
  uint16_t port = 80;
  std::string path = "/rpc";
  std::string text;  // as given, for messages

  // "http://HOST[:PORT][/PATH]", or "HOST:PORT[/PATH]" without the scheme. HOST may be
  // "[IPv6]". An empty path means /rpc. https is refused (the endpoint speaks plain HTTP; reach
  // a remote one through an SSH tunnel).
  static Result<Url> parse(std::string_view text);
};

struct HttpReply {
  enum class Outcome { kOk, kConnectFailed, kFailed };
  Outcome outcome = Outcome::kOk;
  std::string error;  // when not kOk: a sentence naming the URL
  int status = 0;
  std::string reason;
  std::string contentType;
  std::string body;
};

// Connects a TCP socket to host:port, trying each address getaddrinfo gives in turn, within
// timeoutMs. Returns the connected, non-blocking, close-on-exec descriptor, which the caller owns.
// Errors: `cannot resolve HOST: <gai_strerror>`, `timed out after 5 s`, or the last address's
// strerror text (`Connection refused`).
Result<int> connectTcp(const std::string& host, uint16_t port, int timeoutMs);

// One request on a fresh connection ("Connection: close"); timeoutMs bounds the whole exchange.
// method: "GET", "POST"...; body and contentType are sent when body is non-empty.
HttpReply httpExchange(const Url& url, std::string_view method, std::string_view body,
                       std::string_view contentType, int timeoutMs);

// NOLINTNEXTLINE(bugprone-exception-escape): the check sees nlohmann's noexcept move as throwing.
struct RpcReply {
  enum class Outcome { kResult, kRpcError, kConnectFailed, kFailed };
  Outcome outcome = Outcome::kResult;
  // kResult: the result, keys in the order the server sent them.
  nlohmann::ordered_json result;
  // kRpcError: error.code and error.message; kConnectFailed / kFailed: message says what.
  int code = 0;
  std::string message;
  nlohmann::ordered_json data;  // kRpcError: error.data, null when absent
};

// Sends {"jsonrpc":"2.0","method":method,"params":params,"id":1} to url and reads the answer.
RpcReply rpcCall(const Url& url, std::string_view method, const nlohmann::json& params,
                 int timeoutMs);

}  // namespace tandem::control
