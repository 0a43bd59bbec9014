// The request pipeline (DESIGN.md §2): small stages, each with one job, each returning an
// explicit verdict. The proxy runs them in the configured order until one stops the request.
// Internal to the edge component.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "sip/message.h"
#include "sip/uri.h"
#include "store/store.h"
#include "transport/transport.h"
#include "txn/txn.h"

namespace tandem::edge {

class Proxy;

enum class Verdict {
  kContinue,  // the next stage decides
  kReply,     // answer with RequestContext::replyCode / replyReason and stop; when
              // RequestContext::durableWrites is not empty, only once they are durable
  kForward,   // forward to RequestContext::targets (tried in order) and stop
  kDrop,      // discard silently and stop
};

// A place to send a request: where, and for dispatcher destinations which one.
struct Target {
  txn::Peer peer;
  int destination = -1;  // dispatcher DestIndex, or -1
  std::string ruri;      // Request-URI of this branch; "" = the request's (or its rewrite)
  std::string route;     // Route header value to add (a registered contact's Path); "" = none
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
  std::vector<std::pair<std::string, std::string>> replyHeaders;  // more of them
  std::vector<store::WriteOp> durableWrites;  // to make durable before the reply goes out
  std::vector<Target> targets;
  bool recordRoute = false;  // add Record-Route when forwarding
  // Routing stages' rewrites.
  std::string ruri;                    // the Request-URI after a rewrite (DID); "" = unchanged
  std::optional<sip::Uri> ruriParsed;  // ruri parsed (views into ruri: do not touch ruri after)
  std::vector<std::pair<std::string, std::string>> forwardHeaders;  // added when forwarding
  std::string authUser;             // the authenticated username ("" = none)
  bool consumeCredentials = false;  // remove Proxy-Authorization when forwarding

  // The Request-URI routing decisions look at: the rewrite when there is one.
  const sip::Uri& requestUri() const { return ruriParsed ? *ruriParsed : msg.requestUri(); }

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

// The database-backed stages (they need Proxy::storeLink()).
std::unique_ptr<Stage> makeDidStage(Proxy& proxy);        // routing_stages.cc
std::unique_ptr<Stage> makeTenantStage(Proxy& proxy);     // routing_stages.cc
std::unique_ptr<Stage> makeTrunkStage(Proxy& proxy);      // routing_stages.cc
std::unique_ptr<Stage> makeAuthStage(Proxy& proxy);       // auth_stage.cc
std::unique_ptr<Stage> makeRegistrarStage(Proxy& proxy);  // registrar_stages.cc
std::unique_ptr<Stage> makeLocationStage(Proxy& proxy);   // registrar_stages.cc

// The host of uri without IPv6 brackets: what AoRs and routing tables are keyed by.
std::string_view uriDomain(const sip::Uri& uri);
// Seconds of the wall clock, as bindings and nonces count them.
int64_t unixNow();

// Forwards the request to the one address hop names (Record-Route by shouldRecordRoute), or
// answers 478 when hop has no numeric address.
Verdict forwardTo(const Proxy& proxy, RequestContext& ctx, const sip::Uri& hop);

// True when the request starts something new here: no To tag, not ACK/CANCEL.
bool isInitial(const RequestContext& ctx);
// Record-Route policy for a forwarded request (initial INVITE/SUBSCRIBE/REFER when enabled).
bool shouldRecordRoute(const Proxy& proxy, const RequestContext& ctx);

}  // namespace tandem::edge
