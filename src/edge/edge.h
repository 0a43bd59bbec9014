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
}  // namespace tandem::edge
namespace tandem::control {
class ControlServer;
}  // namespace tandem::control
namespace tandem::edge {

inline constexpr const char* kVersion = "0.1.0";

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
  // The control endpoint's address ("127.0.0.1:7060"), or empty when none is configured.
  std::string controlAddress() const;

 private:
  Edge() = default;
  std::unique_ptr<Proxy> proxy_;
  std::unique_ptr<control::ControlServer> control_;
};

}  // namespace tandem::edge
