// Routes the control endpoint's requests: /rpc to the JSON-RPC registry, /metrics to the
// Prometheus writer, /health to the health checks.
#include "control/server.h"

#include <chrono>
#include <ctime>
#include <optional>

#include "core/log.h"

namespace tandem::control {

using nlohmann::json;

namespace {

int64_t wallSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string isoTime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

HttpResponse rpcResponse(std::optional<std::string> answer) {
  if (!answer) return HttpResponse::text(204, "");
  HttpResponse r;
  r.contentType = "application/json";
  r.body = std::move(*answer);
  return r;
}

HttpResponse methodNotAllowed(std::string allow) {
  HttpResponse r = HttpResponse::text(405, "method not allowed; use " + allow + "\n");
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

}  // namespace

ControlServer::ControlServer(EventLoop& loop, ControlOptions options)
    : loop_(loop),
      options_(std::move(options)),
      startMs_(loop.nowMs()),
      startWallSeconds_(wallSeconds()) {}

Result<std::unique_ptr<ControlServer>> ControlServer::start(EventLoop& loop,
                                                            ControlOptions options) {
  std::unique_ptr<ControlServer> server(new ControlServer(loop, std::move(options)));
  ControlServer* raw = server.get();
  auto http = HttpServer::startAsync(loop, server->options_.listen, server->options_.limits,
                                     [raw](const HttpRequest& r, HttpRespond respond) {
                                       raw->handleAsync(r, std::move(respond));
                                     });
  if (!http) return http.status();
  server->http_ = std::move(*http);
  server->addBuiltins();
  return server;
}

void ControlServer::addBuiltins() {
  rpc_.add("core.uptime", "core.uptime: seconds since the daemon started (uptime, up_since, now)",
           [this](const json&) -> Result<json> {
             return json{{"now", isoTime(wallSeconds())},
                         {"up_since", isoTime(startWallSeconds_)},
                         {"uptime", uptimeSeconds()}};
           });
  rpc_.add("core.version", "core.version: the daemon's version",
           [this](const json&) -> Result<json> { return json(options_.version); });
}

uint64_t ControlServer::uptimeSeconds() const { return (loop_.nowMs() - startMs_) / 1000; }

std::string ControlServer::metricsText() {
  PromWriter w;
  w.gauge("tandem_build_info", "Version of the running daemon; the value is always 1",
          {{"version", options_.version}}, 1);
  w.gauge("tandem_uptime_seconds", "Seconds since the daemon started", uptimeSeconds());
  const char* requestsHelp = "HTTP requests to the control endpoint, by path";
  w.counter("tandem_control_http_requests_total", requestsHelp, {{"path", "/rpc"}}, rpcRequests_);
  w.counter("tandem_control_http_requests_total", requestsHelp, {{"path", "/metrics"}},
            metricsRequests_);
  w.counter("tandem_control_http_requests_total", requestsHelp, {{"path", "/health"}},
            healthRequests_);
  w.counter("tandem_control_http_requests_total", requestsHelp, {{"path", "other"}},
            otherRequests_);
  w.counter("tandem_control_http_bad_requests_total",
            "Malformed or oversized HTTP requests answered with an error and closed",
            http_->stats().badRequests);
  w.gauge("tandem_control_http_connections", "Open connections to the control endpoint",
          http_->connectionCount());
  w.counter("tandem_control_rpc_calls_total", "JSON-RPC requests, batch members included",
            rpc_.calls());
  w.counter("tandem_control_rpc_errors_total", "JSON-RPC requests answered with an error",
            rpc_.errors());
  for (auto& fn : metrics_) fn(w);
  for (const auto& e : w.errors()) spdlog::warn("control: metric dropped: {}", e);
  return w.text();
}

Status ControlServer::health() {
  std::string reasons;
  for (auto& check : health_) {
    Status s = check();
    if (s) continue;
    if (!reasons.empty()) reasons += '\n';
    reasons += s.message();
  }
  return reasons.empty() ? Status::ok() : Status::error(std::move(reasons));
}

void ControlServer::handleAsync(const HttpRequest& request, HttpRespond respond) {
  const std::string& path = request.path;
  if ((path == "/rpc" || path == "/RPC") && request.method == "POST") {
    ++rpcRequests_;
    // respond is safe to call after the connection or the server is gone; the registry drops
    // replies that arrive after it is destroyed.
    rpc_.handleAsync(request.body, [respond = std::move(respond)](std::optional<std::string> a) {
      respond(rpcResponse(std::move(a)));
    });
    return;
  }
  respond(handle(request));
}

HttpResponse ControlServer::handle(const HttpRequest& request) {
  const std::string& path = request.path;
  bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/rpc" || path == "/RPC") {
    ++rpcRequests_;
    if (request.method != "POST") return methodNotAllowed("POST");
    return rpcResponse(rpc_.handle(request.body));
  }
  if (path == "/metrics") {
    ++metricsRequests_;
    if (!get) return methodNotAllowed("GET, HEAD");
    HttpResponse r;
    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metricsText();
    return r;
  }
  if (path == "/health") {
    ++healthRequests_;
    if (!get) return methodNotAllowed("GET, HEAD");
    Status s = health();
    if (s) return HttpResponse::text(200, "OK\n");
    return HttpResponse::text(503, s.message() + "\n");
  }
  ++otherRequests_;
  return HttpResponse::text(404, "not found; try POST /rpc, GET /metrics or GET /health\n");
}

}  // namespace tandem::control
