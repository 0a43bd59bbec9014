// Edge: the public face of the proxy core.
#include "edge/edge.h"

#include "control/server.h"
#include "edge/proxy.h"

namespace tandem::edge {

Result<std::unique_ptr<Edge>> Edge::create(EventLoop& loop, const EdgeConfig& config) {
  std::unique_ptr<Edge> e(new Edge());
  e->proxy_ = std::make_unique<Proxy>(loop, config);
  if (Status s = e->proxy_->start(); !s) return s;
  if (!config.control.listen.empty()) {
    control::ControlOptions opts;
    opts.listen = *SocketAddress::parse(config.control.listen, 7060);
    opts.version = kVersion;
    auto server = control::ControlServer::start(loop, opts);
    if (!server) return Status::error("control endpoint: " + server.message());
    e->control_ = std::move(server).value();
    e->proxy_->registerControl(*e->control_);
  }
  return e;
}

Edge::~Edge() {
  control_.reset();  // its handlers refer to the proxy
}

std::string Edge::controlAddress() const {
  return control_ ? control_->address().toString() : std::string();
}

const std::vector<ListenSpec>& Edge::listeners() const { return proxy_->listeners(); }
Status Edge::reloadDispatcher() { return proxy_->reloadDispatcher(); }
std::string Edge::statsLine() const { return proxy_->statsLine(); }

}  // namespace tandem::edge
