// The registrar stage (REGISTER for our domains: RFC 3261 §10.3, answered once the bindings are
// durable) and the location stage (initial requests to a registered AoR go to its contacts).
#include <optional>

#include "edge/proxy.h"
#include "edge/stages.h"
#include "registrar/registrar.h"
#include "sip/uri.h"

namespace tandem::edge {

namespace {

class RegistrarStage final : public Stage {
 public:
  explicit RegistrarStage(Proxy& proxy) : proxy_(proxy) {
    for (const auto& s : proxy.config().pipeline) authInPipeline_ = authInPipeline_ || s == "auth";
  }
  std::string_view name() const override { return "registrar"; }
  Verdict process(RequestContext& ctx) override {
    if (ctx.msg.method() != sip::Method::kRegister || !ctx.ruriIsLocal) return Verdict::kContinue;
    const sip::NameAddr* to = ctx.msg.to();
    if (to == nullptr || !to->uri.isSip() || !proxy_.isLocalUri(to->uri)) {
      ++proxy_.counters().registerRejected;
      return ctx.reply(403, "Domain Not Served");
    }
    // Whoever authenticated may only register their own AoR (Kamailio's check_to).
    if (authInPipeline_ && !ctx.authUser.empty() && ctx.authUser != to->uri.user) {
      ++proxy_.counters().registerRejected;
      return ctx.reply(403, "Forbidden auth ID");
    }
    registrar::RegisterContext rc;
    rc.source = ctx.in.source;
    rc.transport = ctx.in.transport;
    rc.localSocket = proxy_.socketText(ctx.in.listener);
    rc.nowS = unixNow();
    outcome_ = proxy_.registrar()->handle(ctx.msg, rc);
    for (auto& h : outcome_.headers) {
      ctx.replyHeaders.emplace_back(std::move(h.name), std::move(h.value));
    }
    ctx.durableWrites = std::move(outcome_.writes);
    if (outcome_.ok()) {
      ++proxy_.counters().registrations;
    } else {
      ++proxy_.counters().registerRejected;
    }
    return ctx.reply(outcome_.status, outcome_.reason);
  }

 private:
  Proxy& proxy_;
  bool authInPipeline_ = false;
  registrar::RegisterOutcome outcome_;  // its reason outlives the reply
};

class LocationStage final : public Stage {
 public:
  explicit LocationStage(Proxy& proxy) : proxy_(proxy) {}
  std::string_view name() const override { return "location"; }
  Verdict process(RequestContext& ctx) override {
    if (!isInitial(ctx) || !ctx.ruriIsLocal || ctx.msg.method() == sip::Method::kRegister) {
      return Verdict::kContinue;
    }
    const sip::Uri& ruri = ctx.requestUri();
    if (ruri.user.empty()) return Verdict::kContinue;
    registrar::Bindings bindings =
        proxy_.locations()->lookup(ruri.user, uriDomain(ruri), unixNow());
    if (bindings.empty()) return Verdict::kContinue;
    ctx.targets.clear();
    // Serial forking in q order: the best device first, the next one when it fails.
    for (registrar::BindingRef b : bindings) {
      Target t;
      t.ruri.assign(b.contact());
      // The next hop: the first Path entry (RFC 3327), else where the REGISTER came from
      // (NAT), else the Contact itself.
      std::optional<sip::Uri> hop;
      if (!b.path().empty()) {
        t.route.assign(b.path());
        sip::NameAddr first;
        size_t pos = 0;
        if (sip::detail::parseNameAddrAt(t.route, &pos, &first)) hop = first.uri;
      } else {
        hop = sip::parseUri(b.received().empty() ? std::string_view(t.ruri) : b.received());
      }
      if (!hop || !proxy_.peerForUri(*hop, &t.peer)) continue;
      ctx.targets.push_back(std::move(t));
    }
    if (ctx.targets.empty()) return ctx.reply(480, "Temporarily Unavailable");
    ++proxy_.counters().locationHits;
    ctx.recordRoute = shouldRecordRoute(proxy_, ctx);
    return Verdict::kForward;
  }

 private:
  Proxy& proxy_;
};

}  // namespace

std::unique_ptr<Stage> makeRegistrarStage(Proxy& proxy) {
  return std::make_unique<RegistrarStage>(proxy);
}
std::unique_ptr<Stage> makeLocationStage(Proxy& proxy) {
  return std::make_unique<LocationStage>(proxy);
}

}  // namespace tandem::edge
