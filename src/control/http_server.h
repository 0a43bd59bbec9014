// A small HTTP/1.1 server on an EventLoop: non-blocking sockets, keep-alive, pipelining, size
// limits and timeouts. It serves the control plane (JSON-RPC, /metrics, /health), not the
// public: one handler call per request, answered on the loop thread, at once or later.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "control/http.h"
#include "core/address.h"
#include "core/event_loop.h"
#include "core/result.h"

namespace tandem::control {

// Runs on the loop thread for each complete request; it must return quickly (no blocking I/O,
// no database call): every other connection and, in a daemon, the packet path wait meanwhile.
// An exception escaping it is answered with 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Sends the answer to one request. Call it exactly once, on the loop thread; it is cheap to copy
// and stays safe to call after the connection (or the server) is gone: the answer is dropped.
using HttpRespond = std::function<void(HttpResponse)>;
// The deferred form: starts the work and returns, calling respond before or after returning.
// The request is only valid during the call: copy what the work needs. While an answer is
// awaited, the connection reads no further pipelined request (HTTP/1.1 answers in order); if
// none comes within HttpLimits::idleTimeoutMs, the client gets 503 and the connection closes.
// An exception escaping the call before respond ran is answered with 500.
using AsyncHttpHandler = std::function<void(const HttpRequest&, HttpRespond respond)>;

struct HttpServerStats {
  uint64_t accepted = 0;
  uint64_t rejected = 0;        // over HttpLimits::maxConnections
  uint64_t requests = 0;        // complete requests handed to the handler
  uint64_t badRequests = 0;     // answered by the parser with 4xx/5xx and closed
  uint64_t timeouts = 0;        // idle or slow connections closed by a timer
  uint64_t droppedReplies = 0;  // deferred answers that came after their connection closed
};

class HttpServer {
 public:
  // Binds `address` (port 0 picks a free port: address() then has the real one) and starts
  // accepting on `loop`. REQUIRES: loop outlives the server. Not thread-safe: create, use and
  // destroy it on the loop's thread (or before the loop runs).
  static Result<std::unique_ptr<HttpServer>> start(EventLoop& loop, const SocketAddress& address,
                                                   const HttpLimits& limits, HttpHandler handler);
  // The same with a handler that may answer later.
  static Result<std::unique_ptr<HttpServer>> startAsync(EventLoop& loop,
                                                        const SocketAddress& address,
                                                        const HttpLimits& limits,
                                                        AsyncHttpHandler handler);
  // Closes the listener and every connection; pending responses are dropped.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  const SocketAddress& address() const { return address_; }
  size_t connectionCount() const { return connections_.size(); }
  const HttpServerStats& stats() const { return stats_; }

 private:
  class Listener;
  class Connection;
  HttpServer(EventLoop& loop, const HttpLimits& limits, AsyncHttpHandler handler);
  void accept();
  // Closes and frees a connection. The connection may be the caller: nothing may touch it after.
  void destroy(uint64_t id);
  static void onTimer(void* ctx, uint64_t id);
  // A deferred answer for request number seq of connection id; dropped when either is gone.
  void deliver(uint64_t id, uint64_t seq, const HttpResponse& response);

  EventLoop& loop_;
  HttpLimits limits_;
  AsyncHttpHandler handler_;
  // Expires with the server: respond callbacks that outlive it find it gone.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  SocketAddress address_;
  std::unique_ptr<Listener> listener_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t nextId_ = 1;
  HttpServerStats stats_;
};

}  // namespace tandem::control
