// Database-driven routing stages: DID (inbound numbers), tenant (domain → dispatcher set) and
// trunk (outbound numbers by longest prefix). They read the store's cached tables only.
#include <algorithm>
#include <cctype>

#include "core/text.h"
#include "edge/proxy.h"
#include "edge/stages.h"
#include "edge/store_link.h"

namespace tandem::edge {

namespace {

// A dialled number: digits with an optional leading '+' (and the '*' '#' of feature codes).
bool isNumber(std::string_view user) {
  if (!user.empty() && user.front() == '+') user.remove_prefix(1);
  if (user.empty()) return false;
  return std::all_of(user.begin(), user.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '*' || c == '#';
  });
}

// Rewrites the request to destination and decides what happens next: a destination the edge
// serves goes on through the pipeline (tenant and dispatcher pick the node), any other is the
// next hop itself.
Verdict rewriteTo(Proxy& proxy, RequestContext& ctx, std::string_view destination) {
  ctx.ruri.assign(destination);
  ctx.ruriParsed = sip::parseUri(ctx.ruri);
  if (!ctx.ruriParsed || !ctx.ruriParsed->isSip()) {
    ctx.ruriParsed.reset();
    return ctx.reply(500, "Bad Route Destination");
  }
  ctx.ruriIsLocal = proxy.isLocalUri(*ctx.ruriParsed);
  if (ctx.ruriIsLocal) return Verdict::kContinue;
  return forwardTo(proxy, ctx, *ctx.ruriParsed);
}

class DidStage final : public Stage {
 public:
  explicit DidStage(Proxy& proxy) : proxy_(proxy) {}
  std::string_view name() const override { return "did"; }
  Verdict process(RequestContext& ctx) override {
    if (!isInitial(ctx) || !ctx.ruriIsLocal || ctx.msg.method() == sip::Method::kRegister) {
      return Verdict::kContinue;
    }
    const sip::Uri& ruri = ctx.requestUri();
    if (ruri.user.empty()) return Verdict::kContinue;
    const store::Snapshot& snap = proxy_.storeLink()->snapshot();
    const store::DidRoute* route =
        snap.dids ? snap.dids->find(ruri.user, uriDomain(ruri)) : nullptr;
    if (route == nullptr) {
      ++proxy_.counters().didMisses;
      // An unknown number from outside (a carrier) is answered here rather than handed to a
      // media node; numbers dialled by our own nodes and phones go on to trunk routing.
      if (proxy_.config().routing.didNotFound && isNumber(ruri.user) &&
          !proxy_.isTrusted(ctx.in.source) && !proxy_.isMediaNode(ctx.in.source) &&
          !proxy_.hasBindings(ruri.user, uriDomain(ruri))) {
        return ctx.reply(404, "DID Not Found");
      }
      return Verdict::kContinue;
    }
    ++proxy_.counters().didHits;
    if (!route->destType.empty()) ctx.forwardHeaders.emplace_back("X-Dest-Type", route->destType);
    return rewriteTo(proxy_, ctx, route->destination);
  }

 private:
  Proxy& proxy_;
};

class TenantStage final : public Stage {
 public:
  explicit TenantStage(Proxy& proxy) : proxy_(proxy) {}
  std::string_view name() const override { return "tenant"; }
  Verdict process(RequestContext& ctx) override {
    if (!isInitial(ctx) || ctx.msg.method() == sip::Method::kRegister) return Verdict::kContinue;
    const store::Snapshot& snap = proxy_.storeLink()->snapshot();
    if (!snap.tenants) return Verdict::kContinue;
    const store::Tenant* tenant = snap.tenants->find(uriDomain(ctx.requestUri()));
    // A request from a tenant's phone to a number outside is matched by its From domain.
    if (tenant == nullptr && ctx.msg.from() != nullptr) {
      tenant = snap.tenants->find(uriDomain(ctx.msg.from()->uri));
    }
    if (tenant == nullptr) return Verdict::kContinue;
    ++proxy_.counters().tenantRouted;
    if (!proxy_.dispatch(ctx, static_cast<uint32_t>(tenant->setid))) {
      ++proxy_.counters().noDestination;
      return ctx.reply(503, "Service Unavailable");
    }
    ctx.recordRoute = shouldRecordRoute(proxy_, ctx);
    return Verdict::kForward;
  }

 private:
  Proxy& proxy_;
};

class TrunkStage final : public Stage {
 public:
  explicit TrunkStage(Proxy& proxy) : proxy_(proxy) {}
  std::string_view name() const override { return "trunk"; }
  Verdict process(RequestContext& ctx) override {
    if (!isInitial(ctx) || ctx.msg.method() == sip::Method::kRegister) return Verdict::kContinue;
    // Only our own media nodes and trusted peers may reach the carriers.
    if (!proxy_.isMediaNode(ctx.in.source) && !proxy_.isTrusted(ctx.in.source)) {
      return Verdict::kContinue;
    }
    const sip::Uri& ruri = ctx.requestUri();
    if (!isNumber(ruri.user)) return Verdict::kContinue;
    if (ctx.ruriIsLocal && proxy_.hasBindings(ruri.user, uriDomain(ruri))) {
      return Verdict::kContinue;  // a registered phone of ours, not a number outside
    }
    const store::Snapshot& snap = proxy_.storeLink()->snapshot();
    if (!snap.trunks) return Verdict::kContinue;
    auto routes = snap.trunks->match(ruri.user);
    if (routes.empty()) return Verdict::kContinue;
    order(routes);
    ctx.targets.clear();
    for (const store::TrunkRoute* r : ordered_) {
      Target t;
      t.ruri = trunkUri(*r, ruri.user);
      auto uri = sip::parseUri(t.ruri);
      if (!uri || !proxy_.peerForUri(*uri, &t.peer)) continue;
      ctx.targets.push_back(std::move(t));
    }
    if (ctx.targets.empty()) return ctx.reply(478, "Unresolvable Destination");
    ++proxy_.counters().trunkRouted;
    ctx.recordRoute = shouldRecordRoute(proxy_, ctx);
    return Verdict::kForward;
  }

 private:
  // Priority groups in order (lower first); inside a group a weighted random order, so calls
  // spread by weight and each still fails over through the whole group.
  void order(std::span<const store::TrunkRoute> routes) {
    ordered_.clear();
    size_t i = 0;
    while (i < routes.size()) {
      size_t end = i;
      while (end < routes.size() && routes[end].priority == routes[i].priority) ++end;
      group_.clear();
      for (size_t k = i; k < end; ++k) group_.push_back(&routes[k]);
      while (!group_.empty()) {
        uint64_t total = 0;
        for (const auto* r : group_)
          total += static_cast<uint64_t>(std::max<int64_t>(r->weight, 0));
        size_t chosen = 0;
        if (total == 0) {
          chosen = static_cast<size_t>(proxy_.random() % group_.size());
        } else {
          uint64_t pick = proxy_.random() % total;
          for (; chosen + 1 < group_.size(); ++chosen) {
            uint64_t w = static_cast<uint64_t>(std::max<int64_t>(group_[chosen]->weight, 0));
            if (pick < w) break;
            pick -= w;
          }
        }
        ordered_.push_back(group_[chosen]);
        group_.erase(group_.begin() + static_cast<std::ptrdiff_t>(chosen));
      }
      i = end;
    }
  }

  // sip:<prepend + number without its first strip characters>@<the trunk's host and params>.
  static std::string trunkUri(const store::TrunkRoute& r, std::string_view number) {
    std::string_view dest = r.destination;
    size_t colon = dest.find(':');
    std::string_view scheme = colon == std::string_view::npos ? "sip" : dest.substr(0, colon);
    std::string_view rest = colon == std::string_view::npos ? dest : dest.substr(colon + 1);
    if (size_t at = rest.find('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    size_t strip = static_cast<size_t>(std::max<int64_t>(r.strip, 0));
    std::string uri(scheme);
    uri += ':';
    uri += r.prepend;
    if (strip < number.size()) uri += number.substr(strip);
    uri += '@';
    uri += rest;
    return uri;
  }

  Proxy& proxy_;
  std::vector<const store::TrunkRoute*> ordered_;
  std::vector<const store::TrunkRoute*> group_;
};

}  // namespace

std::unique_ptr<Stage> makeDidStage(Proxy& proxy) { return std::make_unique<DidStage>(proxy); }
std::unique_ptr<Stage> makeTenantStage(Proxy& proxy) {
  return std::make_unique<TenantStage>(proxy);
}
std::unique_ptr<Stage> makeTrunkStage(Proxy& proxy) { return std::make_unique<TrunkStage>(proxy); }

}  // namespace tandem::edge
