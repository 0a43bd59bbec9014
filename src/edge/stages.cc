// The pipeline stages. Each is small and decides one thing; see docs/config.md for the list.
#include "edge/stages.h"

#include <ctime>

#include "edge/proxy.h"
#include "sip/sanity.h"

namespace tandem::edge {

bool shouldRecordRoute(const Proxy& proxy, const RequestContext& ctx) {
  sip::Method m = ctx.msg.method();
  return proxy.config().recordRoute && !ctx.toTag &&
         (m == sip::Method::kInvite || m == sip::Method::kSubscribe || m == sip::Method::kRefer);
}

std::string_view uriDomain(const sip::Uri& uri) {
  std::string_view h = uri.host;
  if (h.size() >= 2 && h.front() == '[') h = h.substr(1, h.size() - 2);
  return h;
}

int64_t unixNow() { return static_cast<int64_t>(std::time(nullptr)); }

Verdict forwardTo(const Proxy& proxy, RequestContext& ctx, const sip::Uri& hop) {
  Target t;
  if (!proxy.peerForUri(hop, &t.peer)) return ctx.reply(478, "Unresolvable Destination");
  ctx.targets.assign(1, std::move(t));
  ctx.recordRoute = shouldRecordRoute(proxy, ctx);
  return Verdict::kForward;
}

bool isInitial(const RequestContext& ctx) {
  sip::Method m = ctx.msg.method();
  return !ctx.toTag && m != sip::Method::kAck && m != sip::Method::kCancel;
}

namespace {

// All Route entries (if any) name this edge: the request is addressed to us at this hop.
bool routedToUs(const RequestContext& ctx) { return ctx.localRoutes == ctx.msg.routes().size(); }

class SanityStage final : public Stage {
 public:
  std::string_view name() const override { return "sanity"; }
  Verdict process(RequestContext& ctx) override {
    sip::SanityOptions opts;
    opts.ignoreMaxForwards = true;  // the maxfwd stage owns that check
    sip::SanityOutcome o = sip::checkRequest(ctx.msg, opts);
    if (o.ok()) return Verdict::kContinue;
    if (!o.respondable) return Verdict::kDrop;
    if (o.badExtension) {
      ctx.replyHeaderName = "Unsupported";
      ctx.replyHeaderValue.clear();
      sip::appendUnsupported(ctx.msg, opts, ctx.replyHeaderValue);
    }
    return ctx.reply(o.status, o.reason);
  }
};

class MaxForwardsStage final : public Stage {
 public:
  std::string_view name() const override { return "maxfwd"; }
  Verdict process(RequestContext& ctx) override {
    auto mf = ctx.msg.maxForwards();
    if (!mf || *mf > 0) return Verdict::kContinue;
    // RFC 3261 §16.3 step 3: an OPTIONS addressed to us may be answered at Max-Forwards 0.
    if (ctx.msg.method() == sip::Method::kOptions && ctx.ruriIsLocal && routedToUs(ctx)) {
      return Verdict::kContinue;
    }
    return ctx.reply(483, "Too Many Hops");
  }
};

class OptionsStage final : public Stage {
 public:
  std::string_view name() const override { return "options"; }
  Verdict process(RequestContext& ctx) override {
    if (ctx.msg.method() != sip::Method::kOptions || !ctx.ruriIsLocal || ctx.toTag ||
        !routedToUs(ctx)) {
      return Verdict::kContinue;
    }
    ctx.replyHeaderName = "Allow";
    ctx.replyHeaderValue =
        "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, REFER, NOTIFY, MESSAGE";
    return ctx.reply(200, "OK");
  }
};

class InDialogStage final : public Stage {
 public:
  explicit InDialogStage(Proxy& proxy) : proxy_(proxy) {}
  std::string_view name() const override { return "in_dialog"; }
  Verdict process(RequestContext& ctx) override {
    const auto routes = ctx.msg.routes();
    if (ctx.localRoutes < routes.size()) {
      // Loose routing: the next hop is the first Route entry that is not us.
      if (ctx.localRoutes == 0 && !proxy_.isTrusted(ctx.in.source)) {
        proxy_.counters().relayDenied++;
        return ctx.reply(403, "Relaying Forbidden");
      }
      return forwardTo(proxy_, ctx, routes[ctx.localRoutes].uri);
    }
    if (!ctx.toTag) return Verdict::kContinue;  // initial request: routing stages decide
    // In dialog, no route left: the Request-URI (the peer's Contact) is the next hop.
    if (ctx.localRoutes == 0 || ctx.ruriIsLocal) return ctx.reply(404, "Not Here");
    return forwardTo(proxy_, ctx, ctx.msg.requestUri());
  }

 private:
  Proxy& proxy_;
};

class RelayCheckStage final : public Stage {
 public:
  explicit RelayCheckStage(Proxy& proxy) : proxy_(proxy) {}
  std::string_view name() const override { return "relay_check"; }
  Verdict process(RequestContext& ctx) override {
    if (ctx.ruriIsLocal) return Verdict::kContinue;
    if (!proxy_.isTrusted(ctx.in.source)) {
      proxy_.counters().relayDenied++;
      return ctx.reply(403, "Relaying Forbidden");
    }
    return forwardTo(proxy_, ctx, ctx.msg.requestUri());
  }

 private:
  Proxy& proxy_;
};

class DispatcherStage final : public Stage {
 public:
  explicit DispatcherStage(Proxy& proxy) : proxy_(proxy) {}
  std::string_view name() const override { return "dispatcher"; }
  Verdict process(RequestContext& ctx) override {
    if (!proxy_.dispatch(ctx)) {
      proxy_.counters().noDestination++;
      return ctx.reply(503, "Service Unavailable");
    }
    ctx.recordRoute = shouldRecordRoute(proxy_, ctx);
    return Verdict::kForward;
  }

 private:
  Proxy& proxy_;
};

}  // namespace

std::unique_ptr<Stage> makeStage(std::string_view name, Proxy& proxy) {
  if (name == "sanity") return std::make_unique<SanityStage>();
  if (name == "maxfwd") return std::make_unique<MaxForwardsStage>();
  if (name == "options") return std::make_unique<OptionsStage>();
  if (name == "in_dialog") return std::make_unique<InDialogStage>(proxy);
  if (name == "relay_check") return std::make_unique<RelayCheckStage>(proxy);
  if (name == "dispatcher") return std::make_unique<DispatcherStage>(proxy);
  if (name == "did") return makeDidStage(proxy);
  if (name == "tenant") return makeTenantStage(proxy);
  if (name == "trunk") return makeTrunkStage(proxy);
  if (name == "auth") return makeAuthStage(proxy);
  if (name == "registrar") return makeRegistrarStage(proxy);
  if (name == "location") return makeLocationStage(proxy);
  return nullptr;
}

}  // namespace tandem::edge
