// Edge: the public face of the proxy core.
#include "edge/edge.h"

#include "edge/proxy.h"

namespace tandem::edge {

Result<std::unique_ptr<Edge>> Edge::create(EventLoop& loop, const EdgeConfig& config) {
  std::unique_ptr<Edge> e(new Edge());
  e->proxy_ = std::make_unique<Proxy>(loop, config);
  if (Status s = e->proxy_->start(); !s) return s;
  return e;
}

Edge::~Edge() = default;

const std::vector<ListenSpec>& Edge::listeners() const { return proxy_->listeners(); }
Status Edge::reloadDispatcher() { return proxy_->reloadDispatcher(); }
std::string Edge::statsLine() const { return proxy_->statsLine(); }

}  // namespace tandem::edge
