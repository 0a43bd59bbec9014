// JSON-RPC 2.0 dispatch (https://www.jsonrpc.org/specification): a registry of named methods,
// single and batch requests, notifications, and the spec's error codes. Transport-free: the
// HTTP side hands in a body and gets back the body to answer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tandem::control {

// The spec's reserved error codes, and the one tandem uses for a method's own failures.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerError = -32000;

// A handler's error Status whose message starts with this prefix is answered as -32602
// (the prefix stays in the message); any other error is -32000 with the message.
inline constexpr std::string_view kInvalidParamsPrefix = "invalid params: ";
// Status::error("invalid params: " + what).
Status invalidParams(std::string_view what);

// Reads a method's params the same way whether they came positional (array) or named (object),
// with the conversions kamcmd users expect: a string of digits is an integer, a number is a
// string when a string is asked for. Errors are "invalid params: ..." so they become -32602.
// Holds a reference: REQUIRES params outlives the Params.
class Params {
 public:
  explicit Params(const nlohmann::json& params) : params_(params) {}

  // The value at position `index` (array) or under `name` (object); nullptr when absent.
  const nlohmann::json* find(size_t index, std::string_view name) const;
  // Positional count, or the number of named members.
  size_t size() const { return params_.size(); }

  Result<std::string> string(size_t index, std::string_view name) const;
  Result<int64_t> integer(size_t index, std::string_view name) const;
  Result<bool> boolean(size_t index, std::string_view name) const;
  // As above, but an absent parameter gives fallback.
  Result<std::string> string(size_t index, std::string_view name, std::string fallback) const;
  Result<int64_t> integer(size_t index, std::string_view name, int64_t fallback) const;
  Result<bool> boolean(size_t index, std::string_view name, bool fallback) const;

 private:
  const nlohmann::json& params_;
};

// Holds the methods and answers requests. Not thread-safe: register methods before the loop
// runs (or on its thread) and dispatch on the loop thread.
class RpcRegistry {
 public:
  // params: an array for positional arguments, an object for named ones; an empty array when
  // the request had none. Runs on the event loop thread, so it must be quick: no blocking I/O,
  // no database round trip (read in-memory state; queue slow work and answer that it is queued).
  using Handler = std::function<Result<nlohmann::json>(const nlohmann::json& params)>;

  // Registers system.listMethods and system.methodHelp.
  RpcRegistry();

  // Adds a method, replacing one of the same name. help: one line, e.g.
  // "dispatcher.set_state STATE SETID URI|all: set a destination's state".
  void add(std::string name, std::string help, Handler handler);
  bool has(std::string_view name) const;
  // Method names in sorted order.
  std::vector<std::string> methods() const;
  // nullptr for an unknown method.
  const std::string* help(std::string_view name) const;

  // Answers one HTTP body: a single request or a batch. Returns the response text, or nullopt
  // when nothing is to be sent back (only notifications). Never throws.
  std::optional<std::string> handle(std::string_view body);
  // Answers one parsed request object (or a non-object, which is an invalid request); nullopt
  // for a notification.
  std::optional<nlohmann::json> handleOne(const nlohmann::json& request);

  uint64_t calls() const { return calls_; }
  uint64_t errors() const { return errors_; }

 private:
  struct Method {
    std::string help;
    Handler handler;
  };
  std::map<std::string, Method, std::less<>> methods_;
  uint64_t calls_ = 0;
  uint64_t errors_ = 0;
};

// {"jsonrpc":"2.0","error":{"code":code,"message":message},"id":id}
nlohmann::json rpcError(int code, std::string_view message, const nlohmann::json& id = nullptr);

}  // namespace tandem::control
