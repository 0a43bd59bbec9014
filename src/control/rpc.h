// JSON-RPC 2.0 dispatch (https://www.jsonrpc.org/specification): a registry of named methods,
// single and batch requests, notifications, and the spec's error codes. Transport-free: the
// HTTP side hands in a body and gets back the body to answer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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
  // no database round trip (read in-memory state, or register the method with addAsync).
  using Handler = std::function<Result<nlohmann::json>(const nlohmann::json& params)>;

  // The answer of an asynchronous method. Call it exactly once, on the loop thread (later calls
  // are ignored with a warning). Cheap to copy; it stays safe to call after the client went away
  // or the registry was destroyed: the answer is then dropped.
  using Reply = std::function<void(Result<nlohmann::json>)>;
  // Starts the work and returns at once; reply carries the result later (or before returning,
  // which is fine too). params is only valid during the call: copy what the work needs. Same
  // error conventions as Handler (kInvalidParamsPrefix → -32602, else -32000). A handler that
  // throws before replying is answered -32603.
  using AsyncHandler = std::function<void(const nlohmann::json& params, Reply reply)>;
  // Receives a whole answer (see handleAsync): the response text, or nullopt when nothing is to
  // be sent back.
  using Done = std::function<void(std::optional<std::string>)>;

  // Registers system.listMethods and system.methodHelp.
  RpcRegistry();
  // Handlers capture the registry, and pending replies hold a token of it: not copyable.
  RpcRegistry(const RpcRegistry&) = delete;
  RpcRegistry& operator=(const RpcRegistry&) = delete;

  // Adds a method, replacing one of the same name. help: one line, e.g.
  // "dispatcher.set_state STATE SETID URI|all: set a destination's state".
  void add(std::string name, std::string help, Handler handler);
  // Adds a method that answers later, e.g. after a round trip to the StoreWorker thread.
  void addAsync(std::string name, std::string help, AsyncHandler handler);
  bool has(std::string_view name) const;
  // Method names in sorted order.
  std::vector<std::string> methods() const;
  // nullptr for an unknown method.
  const std::string* help(std::string_view name) const;

  // Answers one HTTP body, a single request or a batch, with synchronous and asynchronous
  // methods alike. done runs exactly once: before handleAsync returns when every method called
  // answered at once, otherwise on the loop thread when the last asynchronous one replies (a
  // batch is answered whole, in request order). done never runs once the registry is destroyed.
  // Never throws.
  void handleAsync(std::string_view body, Done done);

  // The synchronous form, for callers that cannot wait: returns the response text, or nullopt
  // when nothing is to be sent back (only notifications). An asynchronous method that does not
  // reply before its handler returns is answered -32000 "METHOD answers asynchronously: ..." and
  // its later reply is dropped. Never throws.
  std::optional<std::string> handle(std::string_view body);
  // Answers one parsed request object (or a non-object, which is an invalid request); nullopt
  // for a notification. Asynchronous methods as in handle().
  std::optional<nlohmann::json> handleOne(const nlohmann::json& request);

  uint64_t calls() const { return calls_; }
  uint64_t errors() const { return errors_; }

 private:
  struct Method {
    std::string help;
    Handler handler;  // exactly one of handler and asyncHandler is set
    AsyncHandler asyncHandler;
  };
  // Receives one request's response (nullopt for a notification), at once or later.
  using Answer = std::function<void(std::optional<nlohmann::json>)>;
  // wait=false: an asynchronous method that has not replied when its handler returns is
  // answered with an error at once (the synchronous entry points).
  void handleBody(std::string_view body, Done done, bool wait);
  void dispatch(const nlohmann::json& request, const Answer& answer, bool wait);
  nlohmann::json finishCall(Result<nlohmann::json> result, const nlohmann::json& id);

  std::map<std::string, Method, std::less<>> methods_;
  uint64_t calls_ = 0;
  uint64_t errors_ = 0;
  // Expires with the registry: replies that arrive later find it gone and are dropped.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// {"jsonrpc":"2.0","error":{"code":code,"message":message},"id":id}
nlohmann::json rpcError(int code, std::string_view message, const nlohmann::json& id = nullptr);

}  // namespace tandem::control
