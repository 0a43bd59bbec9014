// The auth stage: digest authentication of initial requests from untrusted sources against the
// cached subscriber table (RFC 3261 §22; MD5 and SHA-256 per RFC 8760; stateless nonces shared by
// every edge through [auth] secret).
#include <ctime>
#include <random>

#include "core/log.h"
#include "edge/proxy.h"
#include "edge/stages.h"
#include "edge/store_link.h"
#include "sip/digest.h"

namespace tandem::edge {

namespace {

namespace digest = sip::digest;

std::string randomSecret() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 32; ++i) s.push_back("0123456789abcdef"[rd() & 15]);
  return s;
}

// Nonces a busy edge hands out within one lifetime (1,000 challenges/s for 300 s fit easily).
constexpr size_t kTrackerSlots = size_t{1} << 20;

class AuthStage final : public Stage {
 public:
  explicit AuthStage(Proxy& proxy)
      : proxy_(proxy),
        nonces_(proxy.config().auth.secret.empty() ? randomSecret() : proxy.config().auth.secret,
                proxy.config().auth.nonceLifetimeS, kTrackerSlots) {
    const auto& a = proxy.config().auth;
    for (const auto& name : a.algorithms) {
      if (auto alg = digest::parseAlgorithm(name)) algorithms_.push_back(*alg);
    }
    methods_ = a.methods;
    options_.allowNoQop = a.allowNoQop;
    if (a.secret.empty()) {
      spdlog::info("auth: no [auth] secret: nonces are valid on this edge only, until it stops");
    }
  }
  std::string_view name() const override { return "auth"; }

  Verdict process(RequestContext& ctx) override {
    if (!isInitial(ctx) || !needsAuth(ctx)) return Verdict::kContinue;
    const bool registering = ctx.msg.method() == sip::Method::kRegister;
    const sip::NameAddr* who = registering ? ctx.msg.to() : ctx.msg.from();
    if (who == nullptr) return Verdict::kContinue;  // sanity answers that
    realm_.assign(proxy_.config().auth.realm.empty()
                      ? uriDomain(who->uri)
                      : std::string_view(proxy_.config().auth.realm));
    creds_.clear();
    const sip::HeaderId id =
        registering ? sip::HeaderId::kAuthorization : sip::HeaderId::kProxyAuthorization;
    for (const auto& h : ctx.msg.headers()) {
      if (h.id == id) creds_.push_back(h.value);
    }
    const int64_t now = unixNow();
    digest::VerifyInput in{creds_, ctx.msg.methodToken(), realm_, now};
    const store::Snapshot& snap = proxy_.storeLink()->snapshot();
    if (snap.version == 0) {
      // The subscribers were never read (the database was down at start): no password could
      // pass, and a 401 would tell the phone its password is wrong. Ask it to come back.
      ctx.replyHeaders.emplace_back("Retry-After", "5");
      return ctx.reply(503, "Subscribers Not Loaded");
    }
    const store::SubscriberTable* subs = snap.subscribers.get();
    auto lookup = [subs](std::string_view user, std::string_view realm,
                         digest::Algorithm alg) -> std::optional<std::string_view> {
      if (subs == nullptr) return std::nullopt;
      // "alice@example.com" as username: Kamailio's ha1b columns.
      const bool withDomain = user.find('@') != std::string_view::npos;
      const store::Subscriber* s =
          subs->find(withDomain ? user.substr(0, user.find('@')) : user, realm);
      if (s == nullptr) return std::nullopt;
      const std::string& h = alg == digest::Algorithm::kMd5
                                 ? (withDomain ? s->ha1b : s->ha1)
                                 : (withDomain ? s->ha1bSha256 : s->ha1Sha256);
      if (h.empty()) return std::nullopt;
      return std::string_view(h);
    };
    digest::Verdict v = digest::verify(nonces_, in, lookup, options_);
    auto& c = proxy_.counters();
    switch (v.outcome) {
      case digest::Outcome::kOk:
        ++c.authOk;
        ctx.authUser.assign(v.username);
        if (size_t at = ctx.authUser.find('@'); at != std::string::npos) ctx.authUser.resize(at);
        if (!registering) {
          // An authenticated caller may only call as itself (Kamailio's check_from).
          if (ctx.authUser != who->uri.user) return ctx.reply(403, "Forbidden auth ID");
          ctx.consumeCredentials = true;
        }
        return Verdict::kContinue;
      case digest::Outcome::kNoCredentials:
        return challenge(ctx, registering, false);
      case digest::Outcome::kStaleNonce:
        ++c.authStale;
        return challenge(ctx, registering, true);
      case digest::Outcome::kMalformed:
        proxy_.noteAuthFailure(ctx.in.source);
        ++c.authFailed;
        return ctx.reply(400, "Bad Credentials");
      case digest::Outcome::kInternalError:
        return ctx.reply(500, "Server Internal Error");
      case digest::Outcome::kUnknownUser:
      case digest::Outcome::kWrongPassword:
      case digest::Outcome::kInvalidNonce:
      case digest::Outcome::kReplayedNonceCount:
        ++c.authFailed;
        proxy_.noteAuthFailure(ctx.in.source);
        spdlog::debug("auth: {} from {} for {}: {}", ctx.msg.methodToken(),
                      ctx.in.source.toString(), v.username, digest::outcomeName(v.outcome));
        return challenge(ctx, registering, false);
    }
    return Verdict::kContinue;
  }

 private:
  bool needsAuth(const RequestContext& ctx) const {
    std::string_view method = ctx.msg.methodToken();
    bool listed = false;
    for (const auto& m : methods_) listed = listed || m == method;
    if (!listed) return false;
    // Our own media nodes and trusted peers (carriers by IP) are never challenged.
    if (proxy_.isTrusted(ctx.in.source) || proxy_.isMediaNode(ctx.in.source)) return false;
    if (ctx.msg.method() == sip::Method::kRegister) return ctx.ruriIsLocal;
    // Other requests only claim to be one of our users when their From is in our domains;
    // calls from elsewhere to our numbers pass (relay_check stops foreign-to-foreign).
    const sip::NameAddr* from = ctx.msg.from();
    return from != nullptr && from->uri.isSip() && proxy_.isLocalUri(from->uri);
  }

  Verdict challenge(RequestContext& ctx, bool registering, bool stale) {
    auto nonce = nonces_.issue(unixNow());
    if (!nonce) return ctx.reply(500, "Server Internal Error");
    ++proxy_.counters().authChallenges;
    const char* header = registering ? "WWW-Authenticate" : "Proxy-Authenticate";
    for (digest::Algorithm alg : algorithms_) {
      std::string value;
      digest::appendChallenge(value, realm_, nonce->view(), alg, stale);
      ctx.replyHeaders.emplace_back(header, std::move(value));
    }
    return registering ? ctx.reply(401, "Unauthorized")
                       : ctx.reply(407, "Proxy Authentication Required");
  }

  Proxy& proxy_;
  digest::NonceService nonces_;
  std::vector<digest::Algorithm> algorithms_;
  std::vector<std::string> methods_;
  digest::VerifyOptions options_;
  std::string realm_;
  std::vector<std::string_view> creds_;
};

}  // namespace

std::unique_ptr<Stage> makeAuthStage(Proxy& proxy) { return std::make_unique<AuthStage>(proxy); }

}  // namespace tandem::edge
