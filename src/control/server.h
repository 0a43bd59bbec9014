// The control plane of a tandem daemon: JSON-RPC 2.0 on POST /rpc (and /RPC, Kamailio's
// jsonrpcs path), Prometheus text on GET /metrics, and GET /health for keepalived and load
// balancers, served over HTTP/1.1 from the daemon's own event loop. This is the public header of
// src/control; the owner registers its methods, metrics and health checks here.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/http.h"
#include "control/http_server.h"
#include "control/prom.h"
#include "control/rpc.h"
#include "core/address.h"
#include "core/event_loop.h"
#include "core/result.h"

namespace tandem::control {

// Writes the owner's metrics for one scrape. Runs on the loop thread: read counters, do not
// block. Several may be registered; their families are merged (see PromWriter).
using MetricsFn = std::function<void(PromWriter&)>;
// Says whether the daemon can serve: ok, or an error whose message is the reason (shown in the
// 503 body). Runs on the loop thread for every probe: keep it a look at in-memory state.
using HealthFn = std::function<Status()>;

struct ControlOptions {
  SocketAddress listen;  // e.g. SocketAddress::parse("127.0.0.1:7060"); port 0 picks a free one
  std::string version;   // what core.version answers and tandem_build_info shows, e.g. "0.1.0"
  HttpLimits limits;
};

// Owns the HTTP listener. Not thread-safe: everything (start, add*, destruction) happens on the
// loop's thread, or before the loop runs. REQUIRES: loop outlives the server.
class ControlServer {
 public:
  // Binds and starts serving. Registers core.uptime and core.version besides the registry's
  // system.listMethods and system.methodHelp.
  static Result<std::unique_ptr<ControlServer>> start(EventLoop& loop, ControlOptions options);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // The bound address, with the real port when port 0 was asked for.
  const SocketAddress& address() const { return http_->address(); }
  RpcRegistry& rpc() { return rpc_; }
  void addMetrics(MetricsFn fn) { metrics_.push_back(std::move(fn)); }
  void addHealthCheck(HealthFn fn) { health_.push_back(std::move(fn)); }

  // What GET /metrics serves: the server's own families (tandem_build_info,
  // tandem_uptime_seconds, tandem_control_*) followed by every MetricsFn's.
  std::string metricsText();
  // Ok when every health check is; otherwise the failing checks' reasons, one per line.
  Status health();
  // Routes one request, the way the HTTP server does: respond runs once, at once or, for a
  // JSON-RPC request that calls an asynchronous method, when the method replies.
  void handleAsync(const HttpRequest& request, HttpRespond respond);
  // The same for tests that want the answer at once: asynchronous RPC methods that do not reply
  // before their handler returns are answered with an error (see RpcRegistry::handle).
  HttpResponse handle(const HttpRequest& request);
  uint64_t uptimeSeconds() const;

 private:
  ControlServer(EventLoop& loop, ControlOptions options);
  void addBuiltins();

  EventLoop& loop_;
  ControlOptions options_;
  uint64_t startMs_;
  int64_t startWallSeconds_;
  RpcRegistry rpc_;
  std::vector<MetricsFn> metrics_;
  std::vector<HealthFn> health_;
  std::unique_ptr<HttpServer> http_;
  uint64_t rpcRequests_ = 0;
  uint64_t metricsRequests_ = 0;
  uint64_t healthRequests_ = 0;
  uint64_t otherRequests_ = 0;
};

}  // namespace tandem::control
