// The SIP edge: a stateful RFC 3261 §16 proxy that load-balances new calls over a dispatcher
// set and loose-routes in-dialog requests. It wires transports, transactions, the pipeline of
// stages and the dispatcher together on one event loop.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/event_loop.h"
#include "core/result.h"
#include "edge/config.h"

namespace tandem::edge {

class Proxy;

class Edge {
 public:
  // Binds every listener and loads the dispatcher list. Errors name what failed.
  // REQUIRES: loop outlives the Edge; everything runs on the loop's thread.
  static Result<std::unique_ptr<Edge>> create(EventLoop& loop, const EdgeConfig& config);
  ~Edge();

  // Listeners as bound (a configured port 0 shows the real port).
  const std::vector<ListenSpec>& listeners() const;
  // Re-reads the dispatcher list file. On error the running list stays.
  Status reloadDispatcher();
  // Counters as "key=value key=value ...", for the stop line and tests.
  std::string statsLine() const;

 private:
  Edge() = default;
  std::unique_ptr<Proxy> proxy_;
};

}  // namespace tandem::edge
