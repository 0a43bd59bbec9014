// The request pipeline (DESIGN.md §2): small stages, each with one job, each returning an
// explicit verdict. The proxy runs them in the configured order until one stops the request.
// Internal to the edge component.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "sip/message.h"
#include "transport/transport.h"
#include "txn/txn.h"

namespace tandem::edge {

class Proxy;

enum class Verdict {
  kContinue,  // the next stage decides
  kReply,     // answer with RequestContext::replyCode / replyReason and stop
  kForward,   // forward to RequestContext::targets (tried in order) and stop
  kDrop,      // discard silently and stop
};

// A place to send a request: where, and for dispatcher destinations which one.
struct Target {
  txn::Peer peer;
  int destination = -1;  // dispatcher DestIndex, or -1
};

// Everything the stages know and decide about one request. Lives for one pipeline run.
struct RequestContext {
  RequestContext(const sip::Message& m, const transport::Inbound& i) : msg(m), in(i) {}
  const sip::Message& msg;
  const transport::Inbound& in;
  // Facts computed once before the stages run.
  bool toTag = false;        // the request is in-dialog
  bool ruriIsLocal = false;  // the Request-URI names this edge or a served domain
  size_t localRoutes = 0;    // leading Route entries that name this edge
  // Decisions.
  int replyCode = 0;
  std::string_view replyReason;
  std::string replyHeaderName;  // one extra header for the reply (e.g. "Unsupported")
  std::string replyHeaderValue;
  std::vector<Target> targets;
  bool recordRoute = false;  // add Record-Route when forwarding

  Verdict reply(int code, std::string_view reason) {
    replyCode = code;
    replyReason = reason;
    return Verdict::kReply;
  }
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual Verdict process(RequestContext& ctx) = 0;
};

// Builds the named stage; the names are those of edge::defaultPipeline().
// REQUIRES: proxy outlives the stage.
std::unique_ptr<Stage> makeStage(std::string_view name, Proxy& proxy);

}  // namespace tandem::edge
