// Proxy core: RFC 3261 §16 request processing with serial failover, CANCEL, loose routing,
// RFC 3581 rport/received, and stateless forwarding of 2xx ACKs and stray responses.
#include "edge/proxy.h"

#include <ctime>
#include <random>

#include "core/hash.h"
#include "core/log.h"
#include "core/text.h"
#include "edge/hash_expr.h"
#include "sip/sanity.h"

namespace tandem::edge {

struct Proxy::ProxyContext {
  // Back to a fresh context, keeping the capacity of every buffer.
  void reset() {
    request.clear();
    in = transport::Inbound{};
    server = nullptr;
    branch = nullptr;
    targets.clear();
    next = 0;
    routesToRemove = 0;
    recordRoute = cancelled = cancelSent = finished = false;
    bestCode = 0;
    bestResponse.clear();
    ruri.clear();
    forwardHeaders.clear();
    consumeCredentials = false;
    deferredCode = 0;
    deferredReason.clear();
    deferredHeaders.clear();
    writesPending = 0;
    writeFailed = false;
  }

  std::string request;  // copy of the received request: msg views into it
  sip::Message msg;
  transport::Inbound in;  // where it came from; in.data is not used
  txn::ServerTransaction* server = nullptr;
  txn::ClientTransaction* branch = nullptr;  // the branch in flight (serial forking)
  std::vector<Target> targets;
  size_t next = 0;  // next target to try
  size_t routesToRemove = 0;
  bool recordRoute = false;
  bool cancelled = false;
  bool cancelSent = false;
  bool finished = false;  // a final response went upstream
  int bestCode = 0;
  std::string bestResponse;  // a failed branch's final response, if the next branch stays silent
  // Rewrites by the routing stages, applied to every branch.
  std::string ruri;
  std::vector<std::pair<std::string, std::string>> forwardHeaders;
  bool consumeCredentials = false;
  // A reply held until its writes are durable (registrar).
  int deferredCode = 0;
  std::string deferredReason;
  std::vector<std::pair<std::string, std::string>> deferredHeaders;
  size_t writesPending = 0;
  bool writeFailed = false;
};

namespace {

void appendHex(std::string& out, uint64_t v) {
  char buf[17];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  while (n > 0) out.push_back(buf[--n]);
}

// The To tag of the edge's own final answers: derived from Call-ID and From tag, so every
// retransmitted request gets the same tag.
std::string localTag(const sip::Message& req) {
  std::string tag = "tdm";
  appendHex(tag, fnv1a64(req.from() ? req.from()->tag() : "", fnv1a64(req.callId())));
  return tag;
}

std::string_view stripBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

// The address responses to a request go to (RFC 3261 §18.2.2 with RFC 3581): over a stream the
// connection it came on; over UDP the source address, and the source port only when the client
// asked for rport, else the port in its Via.
txn::Peer upstreamPeer(const sip::Message& msg, const transport::Inbound& in) {
  txn::Peer peer;
  peer.transport = in.transport;
  peer.address = in.source;
  peer.connection = in.connection;
  if (in.transport == Transport::kUdp) {
    const sip::Via* via = msg.topVia();
    if (via != nullptr && !via->hasRport) peer.address.setPort(via->hasPort ? via->port : 5060);
  }
  return peer;
}

}  // namespace

Proxy::Proxy(EventLoop& loop, const EdgeConfig& config)
    : loop_(loop), config_(config), branchSeed_(std::random_device{}()) {
  transport::Limits limits;
  limits.maxHeaderBytes = config.limits.maxHeaderBytes;
  limits.maxBodyBytes = config.limits.maxBodyBytes;
  limits.tcpIdleTimeoutMs = config.limits.tcpIdleTimeoutMs;
  limits.tcpMaxConnections = config.limits.tcpMaxConnections;
  transport_ = std::make_unique<transport::TransportLayer>(loop, *this, limits);
  txn_ = std::make_unique<txn::TransactionLayer>(loop, *transport_, config.timers, this);
  for (const auto& name : config.pipeline) stages_.push_back(makeStage(name, *this));
  dialogs_ = std::make_unique<DialogTable>(
      loop, DialogTimeouts{config.dialog.noAckTimeoutS * 1000, config.dialog.lifetimeS * 1000},
      [this](int dest) {
        if (dest >= 0 && dispatcher_) dispatcher_->callStarted(static_cast<uint32_t>(dest));
      },
      [this](int dest) {
        if (dest >= 0 && dispatcher_) dispatcher_->callEnded(static_cast<uint32_t>(dest));
      });
  // Contexts whose server transaction ended are freed after the loop round, never mid-call.
  loop_.addFlushHook([this] {
    for (ProxyContext* p : deadContexts_) {
      auto it = contexts_.find(p);
      if (it == contexts_.end()) continue;
      // Kept for reuse: a context's buffers (the request copy, its parsed headers) are a few KB
      // that malloc serves slowly; a warm pool makes a new call or REGISTER allocate nothing.
      if (contextPool_.size() < kContextPoolMax) contextPool_.push_back(std::move(it->second));
      contexts_.erase(it);
    }
    deadContexts_.clear();
  });
}

Proxy::~Proxy() {
  loop_.timers().cancel(probeTimer_);
  loop_.timers().cancel(expiryTimer_);
  // The worker first: no completion may reach a context after this.
  store_.reset();
  // Transactions refer to contexts: drop the transactions first.
  txn_.reset();
  dialogs_.reset();
  contexts_.clear();
}

Status Proxy::start() {
  for (const auto& l : config_.listen) {
    if (Status s = transport_->listen(l); !s) return s;
  }
  describeListeners();
  if (!config_.store.url.empty()) {
    if (Status s = openStore(); !s) return s;
  }
  if (Status s = reloadDispatcher(); !s) return s;
  const auto& d = config_.dispatcher;
  dispatcher::ProbeConfig probe;
  probe.intervalMs = d.pingIntervalS * 1000;
  probe.timeoutMs = d.pingTimeoutMs;
  probe.probingThreshold = d.probingThreshold;
  probe.inactiveThreshold = d.inactiveThreshold;
  probe.mode = *dispatcher::probingModeFromInt(d.probingMode);
  probe.replyCodes = *dispatcher::ReplyCodes::parse(d.pingReplyCodes);
  prober_ = std::make_unique<dispatcher::Prober>(
      *dispatcher_, probe, [this](const dispatcher::Transition& t) { onTransition(t); });
  pingFrom_ = d.pingFrom;
  if (pingFrom_.empty()) {
    int l = transport_->listenerFor(Transport::kUdp, transport_->listeners()[0].address);
    pingFrom_ = "sip:dispatcher@" + hostPortOf(l < 0 ? 0 : l);
  }
  if (probe.intervalMs > 0) scheduleProbe(0);
  return Status::ok();
}

void Proxy::scheduleProbe(uint64_t delayMs) {
  loop_.timers().cancel(probeTimer_);
  probeTimer_ = loop_.timers().schedule(
      delayMs,
      TimerTask{[](void* ctx, uint64_t) { static_cast<Proxy*>(ctx)->onProbeTimer(); }, this, 0});
}

void Proxy::onProbeTimer() {
  probeTimer_ = 0;
  uint64_t now = loop_.nowMs();
  pings_.clear();
  prober_->due(now, pings_);
  for (const auto& ping : pings_) sendPing(ping);
  uint64_t next = prober_->nextDueMs();
  uint64_t interval = prober_->config().intervalMs;
  if (interval == 0) return;
  uint64_t delay = next > now ? next - now : 10;
  scheduleProbe(std::min<uint64_t>(std::max<uint64_t>(delay, 10), interval));
}

void Proxy::sendPing(const dispatcher::Ping& ping) {
  const txn::Peer& peer = destinationPeers_[ping.dest];
  int l = listenerFor(peer);
  if (l < 0) {
    prober_->onTimeout(ping);
    return;
  }
  const std::string& uri = dispatcher_->destination(ping.dest).uri;
  std::string branch = newBranch();
  std::string req;
  req.reserve(512);
  req += "OPTIONS " + uri + " SIP/2.0\r\n";
  req += "Via: SIP/2.0/";
  req += transportViaName(peer.transport);
  req += " " + hostPortOf(l) + ";branch=" + branch + "\r\n";
  req += "Max-Forwards: 70\r\n";
  req += "From: <" + pingFrom_ + ">;tag=" + branch.substr(7) + "\r\n";
  req += "To: <" + uri + ">\r\n";
  req += "Call-ID: " + branch.substr(7) + "@tandem\r\n";
  req += "CSeq: 1 OPTIONS\r\n";
  req += "Content-Length: 0\r\n\r\n";
  txn::ClientTransaction* c =
      txn_->startClient("OPTIONS " + branch, branch, false, peer, std::move(req), this);
  if (c == nullptr) {
    prober_->onTimeout(ping);
    return;
  }
  c->user = &probeMarker_;
  c->tag = static_cast<int>(ping.dest);
  c->cookie = ping.seq;
  ++counters_.pingsSent;
}

void Proxy::onTransition(const dispatcher::Transition& t) {
  const auto& d = dispatcher_->destination(t.dest);
  spdlog::info(
      "dispatcher: set {} {} {} -> {} ({}, code {}, {} in a row){}", d.setId, d.uri,
      dispatcher::stateName(t.from), dispatcher::stateName(t.to),
      dispatcher::probeReasonName(t.reason), t.code, t.count,
      d.state != t.to ? " [state stays " + std::string(dispatcher::stateName(d.state)) + "]" : "");
  ++counters_.transitions[static_cast<size_t>(t.to) % counters_.transitions.size()];
}

Status Proxy::reloadDispatcher() {
  auto r = reloadDispatcherReport();
  return r ? Status::ok() : r.status();
}

Result<dispatcher::ReloadReport> Proxy::reloadDispatcherReport() {
  const bool fromStore = config_.dispatcher.listFile.empty();
  const std::string source =
      fromStore ? "the store's dispatcher table" : config_.dispatcher.listFile;
  Result<std::vector<dispatcher::Destination>> list =
      fromStore ? destinationsFromStore() : dispatcher::loadListFile(config_.dispatcher.listFile);
  if (!list) return list.status();
  // Every destination must be reachable before anything changes: a bad line keeps the old list.
  for (const auto& dest : *list) {
    txn::Peer peer;
    auto uri = sip::parseUri(dest.uri);
    if (!uri || !peerForUri(*uri, &peer)) {
      return Status::error(source + ":" + std::to_string(dest.line) + ": destination \"" +
                           dest.uri + "\" needs a sip: URI with a numeric address");
    }
  }
  bool hasSet = false;
  for (const auto& dest : *list) hasSet = hasSet || dest.setId == configuredSet();
  if (fromStore && !hasSet) {
    // Sets in a database are provisioned at run time: start without the default set.
    spdlog::warn("dispatcher: no destination in set {} in {} yet", config_.dispatcher.set, source);
  } else if (!hasSet) {
    return Status::error(config_.dispatcher.listFile + ": no destination in set " +
                         std::to_string(config_.dispatcher.set) + " (dispatcher.set)");
  }
  dispatcher::ReloadReport report;
  if (!dispatcher_) {
    dispatcher_ = std::make_unique<dispatcher::Dispatcher>(*list);
    for (const auto& d : dispatcher_->destinations()) report.added.push_back(d.id);
  } else {
    report = dispatcher_->reload(*list);
  }
  resolveDestinations();
  spdlog::info("dispatcher: {} from {}", report.summary(), source);
  return report;
}

void Proxy::resolveDestinations() {
  // Ids only ever grow: resolve the new ones (and re-resolve all, it is cheap and off the path).
  destinationPeers_.resize(dispatcher_->destinations().size());
  for (size_t i = 0; i < destinationPeers_.size(); ++i) {
    auto uri = sip::parseUri(dispatcher_->destination(static_cast<dispatcher::DestId>(i)).uri);
    if (!uri || !peerForUri(*uri, &destinationPeers_[i])) destinationPeers_[i] = txn::Peer{};
  }
  picks_.reserve(dispatcher_->maxSetSize());
}

std::vector<std::pair<std::string_view, uint64_t>> Proxy::stats() const {
  const auto& c = counters_;
  const auto& t = transport_->stats();
  const auto& x = txn_->counters();
  std::vector<std::pair<std::string_view, uint64_t>> out = {
      {"rx", t.rxMessages},
      {"tx", t.txMessages},
      {"requests", c.requestsIn},
      {"responses", c.responsesIn},
      {"parse_errors", c.parseErrors},
      {"dropped_invalid", c.droppedInvalid},
      {"replied_400", c.replied400},
      {"framing_errors", c.framingErrors + t.framingErrors},
      {"dropped_no_route", c.droppedNoRoute},
      {"dropped_broadcast", c.droppedBroadcast},
      {"local_replies", c.localReplies},
      {"relay_denied", c.relayDenied},
      {"forwarded_requests", c.forwardedRequests},
      {"forwarded_responses", c.forwardedResponses},
      {"stateless_forwards", c.statelessForwards},
      {"failovers", c.failovers},
      {"call_attempts", c.callAttempts},
      {"calls_answered", c.callsAnswered},
      {"branch_timeouts", c.branchTimeouts},
      {"cancels", c.cancelsReceived},
      {"no_destination", c.noDestination},
      {"dialogs_active", dialogs_->size()},
      {"dialogs_expired", dialogs_->expired()},
      {"txn_server", x.serverCreated},
      {"txn_client", x.clientCreated},
      {"txn_server_active", x.activeServer},
      {"txn_client_active", x.activeClient},
      {"retransmissions_absorbed",
       x.requestRetransmissionsAbsorbed + x.responseRetransmissionsAbsorbed},
      {"retransmissions_sent", x.retransmissionsSent},
      {"pings_sent", c.pingsSent},
      {"send_errors", t.sendErrors},
      {"tcp_connections", transport_->openConnections()},
      {"recv_syscalls", t.recvSyscalls},
      {"send_syscalls", t.sendSyscalls},
  };
  if (store_) {
    const auto w = store_->worker().counters();
    const std::pair<std::string_view, uint64_t> more[] = {
        {"auth_challenges", c.authChallenges},
        {"auth_ok", c.authOk},
        {"auth_failed", c.authFailed},
        {"auth_stale", c.authStale},
        {"registrations", c.registrations},
        {"register_rejected", c.registerRejected},
        {"contacts", locations_->bindingCount()},
        {"aors", locations_->aorCount()},
        {"durable_writes", c.durableWrites},
        {"durable_journaled", c.durableJournaled},
        {"durable_failed", c.durableFailed},
        {"location_hits", c.locationHits},
        {"did_hits", c.didHits},
        {"did_misses", c.didMisses},
        {"tenant_routed", c.tenantRouted},
        {"trunk_routed", c.trunkRouted},
        {"store_queued", w.queued},
        {"store_written", w.written},
        {"store_retried", w.retried},
        {"store_journaled", w.journaled},
        {"store_replayed", w.replayed},
        {"store_outages", w.outages},
        {"store_depth", w.depth},
    };
    out.insert(out.end(), std::begin(more), std::end(more));
  }
  return out;
}

std::string Proxy::statsLine() const {
  std::string s;
  for (const auto& [k, v] : stats()) {
    if (!s.empty()) s += ' ';
    s += k;
    s += '=';
    s += std::to_string(v);
  }
  return s;
}

// ---------------------------------------------------------------- helpers for stages

bool Proxy::isTrusted(const SocketAddress& source) const {
  for (const auto& c : config_.trusted) {
    if (c.contains(source)) return true;
  }
  return false;
}

bool Proxy::isLocalUri(const sip::Uri& uri) const {
  if (!uri.isSip()) return false;
  std::string_view host = stripBrackets(uri.host);
  uint16_t port = uri.hasPort ? uri.port : (uri.scheme == sip::UriScheme::kSips ? 5061 : 5060);
  if (isOurHostPort(host, port)) return true;
  for (const auto& d : config_.domains) {
    if (equalsIgnoreCase(host, d)) return true;
  }
  return false;
}

bool Proxy::peerForUri(const sip::Uri& uri, txn::Peer* peer) const {
  if (!uri.isSip()) return false;
  // maddr overrides the host (RFC 3261 §19.1.1).
  std::string_view host = uri.host;
  if (auto maddr = uri.param("maddr"); maddr && !maddr->empty()) host = *maddr;
  auto addr = SocketAddress::fromHostPort(host, uri.hasPort ? uri.port : 5060);
  if (!addr) return false;
  peer->address = *addr;
  peer->connection = 0;
  peer->transport = Transport::kUdp;
  if (auto t = uri.param("transport"); t && equalsIgnoreCase(*t, "tcp")) {
    peer->transport = Transport::kTcp;
  }
  return true;
}

bool Proxy::dispatch(RequestContext& ctx) {
  return dispatch(ctx, static_cast<uint32_t>(config_.dispatcher.set));
}

bool Proxy::dispatch(RequestContext& ctx, uint32_t setId) {
  const auto& m = ctx.msg;
  if (config_.dispatcher.algorithm == 7) {
    evalHashExpression(config_.dispatcher.hashExpression, m, ctx.in, hashValue_);
  }
  dispatcher::SelectKeys keys{.callId = m.callId(),
                              .fromUri = m.from() ? m.from()->uri.text : std::string_view(),
                              .toUri = m.to() ? m.to()->uri.text : std::string_view(),
                              .ruri = m.requestUriText(),
                              .authUser = {},
                              .hashValue = hashValue_};
  Status s =
      dispatcher_->select(setId, static_cast<dispatcher::Algorithm>(config_.dispatcher.algorithm),
                          keys, static_cast<size_t>(config_.dispatcher.failoverLimit), picks_);
  if (!s || picks_.empty()) return false;
  ctx.targets.clear();
  for (dispatcher::DestId i : picks_) {
    if (!destinationPeers_[i].address.valid()) continue;
    ctx.targets.push_back(Target{destinationPeers_[i], static_cast<int>(i), {}, {}});
  }
  return !ctx.targets.empty();
}

bool Proxy::isMediaNode(const SocketAddress& source) const {
  for (const auto& peer : destinationPeers_) {
    // Address and port, as Kamailio's ds_is_from_list matches by default: several nodes (and
    // phones behind the same NAT) may share an IP address.
    if (peer.address.valid() && peer.address == source) return true;
  }
  return false;
}

uint64_t Proxy::random() {
  // splitmix64: fast, good enough for spreading calls by weight.
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// ---------------------------------------------------------------- store

Result<std::vector<dispatcher::Destination>> Proxy::destinationsFromStore() {
  std::vector<dispatcher::Destination> list;
  const store::Snapshot& snap = store_->snapshot();
  if (!snap.dispatchers) return list;
  for (const auto& row : snap.dispatchers->rows()) {
    dispatcher::Destination d;
    d.setId = static_cast<uint32_t>(row.setid);
    d.uri = row.destination;
    d.flags = static_cast<uint32_t>(row.flags);
    d.priority = static_cast<int32_t>(row.priority);
    d.line = static_cast<uint32_t>(row.id);  // errors name the row id
    auto attrs = dispatcher::parseAttrs(row.attrs);
    if (!attrs) {
      return Status::error("dispatcher row " + std::to_string(row.id) + ": " + attrs.message());
    }
    d.attrs = std::move(*attrs);
    d.state = dispatcher::stateFromFlags(d.flags);
    d.health = dispatcher::healthFromFlags(d.flags);
    d.probeFlag = (d.flags & dispatcher::kFlagProbing) != 0;
    list.push_back(std::move(d));
  }
  return list;
}

Status Proxy::openStore() {
  auto link = StoreLink::open(loop_, config_.store);
  if (!link) return link.status();
  store_ = std::move(*link);
  rng_ ^= std::random_device{}();
  registrar::RegistrarOptions opts;
  opts.minExpires = config_.registrar.minExpires;
  opts.maxExpires = config_.registrar.maxExpires;
  opts.defaultExpires = config_.registrar.defaultExpires;
  opts.maxContacts = config_.registrar.maxContacts;
  opts.overflow = config_.registrar.replaceOldest ? registrar::Overflow::kReplaceOldest
                                                  : registrar::Overflow::kReject;
  opts.serverId = config_.store.serverId;
  locations_ = std::make_unique<registrar::LocationTable>();
  registrar_ = std::make_unique<registrar::Registrar>(*locations_, opts);
  auto loaded = locations_->load(store_->takeLocations());
  if (!store_->locationsLoaded()) {
    // The database is out of reach: what the journal knew is loaded; the rest follows.
    for (const store::WriteOp& op : store_->takeJournalOps()) locations_->apply(op);
    store_->loadLocationsLater(2000, [this](std::vector<store::Location> rows) {
      locations_->load(rows);
      locations_->expire(unixNow());
    });
  }
  locations_->expire(unixNow());
  spdlog::info("store {}: {} subscribers, {} bindings ({} skipped)", store_->description(),
               store_->snapshot().subscribers ? store_->snapshot().subscribers->size() : 0,
               locations_->bindingCount(), loaded.skipped);
  store_->setOnChange([this](store::TableSet changed) { onStoreChange(changed); });
  // Expired bindings leave the database too (Kamailio's usrloc timer does the same).
  store_->worker().every(60'000, [](store::Store& db) {
    auto n = db.deleteExpiredLocations(unixNow());
    return n ? Status::ok() : n.status();
  });
  scheduleExpiry();
  return Status::ok();
}

void Proxy::onStoreChange(uint32_t changed) {
  if ((changed & store::tableBit(store::Table::kDispatcher)) != 0 &&
      config_.dispatcher.listFile.empty() && dispatcher_) {
    auto r = reloadDispatcherReport();
    if (!r) spdlog::warn("dispatcher: reload from the store failed: {}", r.message());
  }
}

void Proxy::scheduleExpiry() {
  expiryTimer_ = loop_.timers().schedule(
      1000,
      TimerTask{[](void* self, uint64_t) { static_cast<Proxy*>(self)->onExpiryTimer(); }, this, 0});
}

void Proxy::onExpiryTimer() {
  // A slice of the table per second keeps a million bindings from stalling the loop.
  locations_->expireSome(unixNow(), 65536);
  scheduleExpiry();
}

void Proxy::noteAuthFailure(const SocketAddress& source) {
  if (authFailures_.size() >= kMaxAuthFailureSources) authFailures_.clear();
  ++authFailures_[source.hostString()];
}

bool Proxy::hasBindings(std::string_view user, std::string_view domain) const {
  return locations_ && !locations_->lookup(user, domain, unixNow()).empty();
}

std::unique_ptr<Proxy::ProxyContext> Proxy::newContext() {
  if (contextPool_.empty()) return std::make_unique<ProxyContext>();
  std::unique_ptr<ProxyContext> p = std::move(contextPool_.back());
  contextPool_.pop_back();
  p->reset();
  return p;
}

void Proxy::replyWhenDurable(const sip::Message& msg, const transport::Inbound& in,
                             RequestContext& ctx) {
  // A server transaction absorbs retransmissions while the write is on its way to disk.
  txn::ServerTransaction* server = txn_->createServer(
      std::string(serverKey(msg.methodToken(), msg)), false, upstreamPeer(msg, in));
  std::unique_ptr<ProxyContext> owned = newContext();
  ProxyContext& p = *owned;
  p.request.assign(msg.buffer());
  p.msg.parse(p.request);
  p.in = in;
  p.in.data = {};
  p.server = server;
  p.deferredCode = ctx.replyCode;
  p.deferredReason.assign(ctx.replyReason);
  if (!ctx.replyHeaderName.empty()) {
    p.deferredHeaders.emplace_back(ctx.replyHeaderName, ctx.replyHeaderValue);
  }
  for (auto& h : ctx.replyHeaders) p.deferredHeaders.push_back(std::move(h));
  server->user = &p;
  ProxyContext* ptr = &p;
  contexts_.emplace(ptr, std::move(owned));
  p.writesPending = ctx.durableWrites.size();
  for (auto& op : ctx.durableWrites) {
    Status st = store_->worker().submit(
        std::move(op), store::Durability::kJournal, &store_->completions(),
        [this, ptr](const store::WriteDone& done) { onWriteDone(ptr, done); });
    if (!st) onWriteDone(ptr, store::WriteDone{st, false});
  }
}

void Proxy::onWriteDone(ProxyContext* p, const store::WriteDone& done) {
  if (contexts_.find(p) == contexts_.end() || p->writesPending == 0) return;
  if (done.status) {
    ++counters_.durableWrites;
    if (done.journaled) ++counters_.durableJournaled;
  } else {
    ++counters_.durableFailed;
    p->writeFailed = true;
    spdlog::warn("registrar: binding of {} not stored: {}", p->msg.callId(), done.status.message());
  }
  if (--p->writesPending > 0) return;
  ++counters_.localReplies;
  if (p->writeFailed) {
    // The binding is not durable, so it must not be acknowledged: the phone retries.
    replyFromContext(*p, 500, "Server Internal Error");
    return;
  }
  replyHeaders_.clear();
  for (const auto& [name, value] : p->deferredHeaders) replyHeaders_.push_back({name, value});
  replyFromContext(*p, p->deferredCode, p->deferredReason, replyHeaders_);
}

// ---------------------------------------------------------------- receiving

void Proxy::onFramingError(const transport::Inbound& in, std::string_view reason) {
  ++counters_.framingErrors;
  spdlog::debug("framing error from {} over {}: {}", in.source.toString(),
                transportName(in.transport), reason);
}

void Proxy::onMessage(const transport::Inbound& in) {
  const sip::ParseResult& r = rx_.parse(in.data);
  if (!r.ok()) {
    ++counters_.parseErrors;
    if (rx_.isRequest() && r.respondable && !r.drop && rx_.method() != sip::Method::kAck) {
      ++counters_.replied400;
      replyStateless(rx_, in, r.status, r.reason);
    } else {
      ++counters_.droppedInvalid;
    }
    spdlog::debug("unparsable message from {}: {} {}", in.source.toString(), r.status, r.reason);
    return;
  }
  if (rx_.isRequest()) {
    ++counters_.requestsIn;
    ++counters_.requestsByMethod[static_cast<size_t>(rx_.method()) % 16];
    onRequest(rx_, in);
  } else {
    ++counters_.responsesIn;
    onResponseMessage(rx_, in);
  }
}

std::string_view Proxy::serverKey(std::string_view method, const sip::Message& msg) {
  // Built in a reused buffer: looking a transaction up allocates nothing once warmed up.
  const sip::Via* via = msg.topVia();
  std::string& key = serverKey_;
  key.clear();
  key.append(method);
  key.push_back(' ');
  auto appendNumber = [&key](uint64_t v) {
    char buf[20];
    int n = 0;
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) key.push_back(buf[--n]);
  };
  if (via != nullptr && via->isRfc3261Branch()) {
    key.append(via->branch);
    key.push_back(' ');
    key.append(via->host);
    key.push_back(':');
    appendNumber(via->port);
  } else {
    // RFC 2543 matching (§17.2.3): Request-URI, From tag, Call-ID, CSeq number, top Via.
    key.append(msg.requestUriText());
    key.push_back(' ');
    if (msg.from() != nullptr) key.append(msg.from()->tag());
    key.push_back(' ');
    key.append(msg.callId());
    key.push_back(' ');
    if (msg.cseq() != nullptr) appendNumber(msg.cseq()->number);
    key.push_back(' ');
    if (via != nullptr) key.append(via->text);
  }
  return key;
}

void Proxy::onRequest(const sip::Message& msg, const transport::Inbound& in) {
  const sip::Method method = msg.method();
  if (method == sip::Method::kCancel) {
    handleCancel(msg, in);
    return;
  }
  if (method == sip::Method::kAck) {
    // The ACK of a non-2xx final answer belongs to the INVITE transaction (hop by hop).
    txn::ServerTransaction* s = txn_->findServer(serverKey("INVITE", msg));
    if (s != nullptr && (s->state() == txn::ServerTransaction::State::kCompleted ||
                         s->state() == txn::ServerTransaction::State::kConfirmed)) {
      s->ackReceived();
      return;
    }
  } else if (txn::ServerTransaction* s = txn_->findServer(serverKey(msg.methodToken(), msg))) {
    s->retransmitted();
    return;
  }

  RequestContext ctx{msg, in};
  ctx.toTag = msg.to() != nullptr && !msg.to()->tag().empty();
  if (ctx.toTag && msg.from() != nullptr) {
    // Dialog tracking sees every in-dialog ACK and BYE, in either direction.
    if (method == sip::Method::kAck) {
      dialogs_->acked(msg.callId(), msg.from()->tag(), msg.to()->tag());
    } else if (method == sip::Method::kBye) {
      dialogs_->ended(msg.callId(), msg.from()->tag(), msg.to()->tag());
    }
  }
  ctx.ruriIsLocal = isLocalUri(msg.requestUri());
  for (const auto& route : msg.routes()) {
    if (!isLocalUri(route.uri)) break;
    ++ctx.localRoutes;
  }
  Verdict v = Verdict::kContinue;
  for (auto& stage : stages_) {
    v = stage->process(ctx);
    if (v != Verdict::kContinue) break;
  }
  switch (v) {
    case Verdict::kReply:
      if (method == sip::Method::kAck) return;  // an ACK is never answered
      if (!ctx.durableWrites.empty()) {
        replyWhenDurable(msg, in, ctx);
        return;
      }
      ++counters_.localReplies;
      if (ctx.replyHeaders.empty()) {
        replyStateless(msg, in, ctx.replyCode, ctx.replyReason, ctx.replyHeaderName,
                       ctx.replyHeaderValue);
      } else {
        replyHeaders_.clear();
        if (!ctx.replyHeaderName.empty()) {
          replyHeaders_.push_back({ctx.replyHeaderName, ctx.replyHeaderValue});
        }
        for (const auto& [name, value] : ctx.replyHeaders) replyHeaders_.push_back({name, value});
        replyStatelessWith(msg, in, ctx.replyCode, ctx.replyReason, replyHeaders_);
      }
      return;
    case Verdict::kForward:
      if (method == sip::Method::kAck) {
        forwardStateless(msg, in, ctx);
      } else {
        forwardStateful(msg, in, ctx);
      }
      return;
    case Verdict::kDrop:
      return;
    case Verdict::kContinue:
      if (method == sip::Method::kAck) return;
      ++counters_.localReplies;
      replyStateless(msg, in, 404, "Not Found");
      return;
  }
}

void Proxy::replyStateless(const sip::Message& req, const transport::Inbound& in, int code,
                           std::string_view reason, std::string_view headerName,
                           std::string_view headerValue) {
  sip::HeaderLine extra{headerName, headerValue};
  std::span<const sip::HeaderLine> headers;
  if (!headerName.empty()) headers = std::span<const sip::HeaderLine>(&extra, 1);
  replyStatelessWith(req, in, code, reason, headers);
}

void Proxy::replyStatelessWith(const sip::Message& req, const transport::Inbound& in, int code,
                               std::string_view reason, std::span<const sip::HeaderLine> headers) {
  out_.clear();
  std::string tag;
  if (code > 100) tag = localTag(req);
  if (!sip::buildResponse(req, code, reason, tag, headers, out_)) return;
  countReply(code);
  countCallOutcome(req, code);
  txn::Peer peer = upstreamPeer(req, in);
  transport_->send(peer.transport, peer.address, out_, peer.connection);
}

// ---------------------------------------------------------------- forwarding requests

void Proxy::countReply(int code) {
  if (code >= 100 && code < 700) ++counters_.repliesByCode[static_cast<size_t>(code)];
}

namespace {
bool isInitialInvite(const sip::Message& req) {
  return req.method() == sip::Method::kInvite && req.to() != nullptr && req.to()->tag().empty();
}
}  // namespace

void Proxy::countCallOutcome(const sip::Message& req, int code) {
  if (code < 200 || code == 401 || code == 407 || !isInitialInvite(req)) return;
  ++counters_.callAttempts;
  if (code < 300) ++counters_.callsAnswered;
}

void Proxy::countBranchOutcome(const txn::ClientTransaction& t, int code) {
  if (t.tag < 0 || !t.isInvite() || code < 200) return;
  auto* p = static_cast<const ProxyContext*>(t.user);
  // A retransmitted 2xx reaches us again after the first went up: count that branch once.
  if (p == nullptr || !isInitialInvite(p->msg) || (code < 300 && p->finished)) return;
  const auto id = static_cast<size_t>(t.tag);
  if (id >= destCalls_.size()) destCalls_.resize(id + 1);
  DestCalls& d = destCalls_[id];
  ++d.attempts;
  if (code < 300) ++d.answered;
  if (code >= 500 && code < 600) ++d.failed5xx;
  if (code == 408) ++d.timeouts;
}

std::string Proxy::newBranch() {
  std::string b = "z9hG4bKtdm";
  appendHex(b, branchSeed_);
  b.push_back('.');
  appendHex(b, ++branchCounter_);
  return b;
}

int Proxy::listenerFor(const txn::Peer& peer) const {
  return transport_->listenerFor(peer.transport, peer.address);
}

void Proxy::describeListeners() {
  // Strings that go into every Via and Record-Route, formatted once (inet_ntop is not cheap).
  listenerText_.clear();
  for (size_t i = 0; i < transport_->listeners().size(); ++i) {
    const ListenSpec& l = transport_->listeners()[i];
    ListenerText t;
    t.host = l.address.hostString();
    std::string host = l.address.uriHost();
    if (l.address.isAnyAddress() && !config_.advertise.empty()) {
      host = l.address.isV6() ? "[" + config_.advertise + "]" : config_.advertise;
      t.host = config_.advertise;
    }
    t.hostPort = host + ":" + std::to_string(l.address.port());
    t.recordRoute = "<sip:" + t.hostPort;
    if (l.transport == Transport::kTcp) t.recordRoute += ";transport=tcp";
    t.recordRoute += ";lr>";
    t.socket = std::string(l.transport == Transport::kTcp ? "tcp:" : "udp:") + t.hostPort;
    listenerText_.push_back(std::move(t));
  }
}

const std::string& Proxy::socketText(int listener) const {
  static const std::string none;
  if (listener < 0 || static_cast<size_t>(listener) >= listenerText_.size()) return none;
  return listenerText_[static_cast<size_t>(listener)].socket;
}

const std::string& Proxy::hostPortOf(int listener) const {
  return listenerText_[static_cast<size_t>(listener)].hostPort;
}

bool Proxy::isOurHostPort(std::string_view host, uint16_t port) const {
  host = stripBrackets(host);
  for (size_t i = 0; i < listenerText_.size(); ++i) {
    if (transport_->listeners()[i].address.port() != port) continue;
    if (equalsIgnoreCase(host, listenerText_[i].host)) return true;
    if (!config_.advertise.empty() && equalsIgnoreCase(host, config_.advertise)) return true;
  }
  return false;
}

bool Proxy::viaIsOurs(const sip::Via& via) const {
  return isOurHostPort(via.host, via.hasPort ? via.port : 5060);
}

void Proxy::buildForward(const sip::Message& msg, const transport::Inbound& in,
                         const Target& target, std::string_view branch, size_t routesToRemove,
                         bool recordRoute, std::string& out, const ProxyContext* extras) {
  int outListener = listenerFor(target.peer);
  const Transport outTransport = target.peer.transport;
  editor_.reset(msg);

  // RFC 3581: fill rport and add received where the client asked or its Via lies.
  std::string upstreamVia;
  if (const sip::Via* via = msg.topVia(); via != nullptr) {
    // A domain name, or an address other than the packet's source, needs received (§18.2.1).
    auto sentBy = SocketAddress::fromHostPort(via->host, 0);
    bool needReceived = !sentBy || !sentBy->sameHost(in.source);
    bool fillRport = via->hasRport && via->rport.empty();
    if (needReceived || fillRport) {
      std::string source = in.source.hostString();
      upstreamVia.assign(via->text);
      if (fillRport) {
        for (const auto& p : via->params) {
          if (equalsIgnoreCase(p.name, "rport")) {
            size_t at = static_cast<size_t>(p.name.data() + p.name.size() - via->text.data());
            upstreamVia.insert(at, "=" + std::to_string(in.source.port()));
            break;
          }
        }
      }
      if (via->received.empty()) upstreamVia += ";received=" + source;
      editor_.removeTopVia();
      editor_.prependVia(upstreamVia);
    }
  }
  std::string& ourVia = viaScratch_;  // reused: no allocation once warmed up
  ourVia.assign("SIP/2.0/");
  ourVia += transportViaName(outTransport);
  ourVia += ' ';
  ourVia += hostPortOf(outListener);
  ourVia += ";branch=";
  ourVia += branch;
  editor_.prependVia(ourVia);

  auto mf = msg.maxForwards();
  editor_.setMaxForwards(mf ? (*mf > 0 ? *mf - 1 : 0) : 70);
  for (size_t i = 0; i < routesToRemove; ++i) editor_.removeTopRoute();
  if (!target.ruri.empty()) {
    editor_.setRequestUri(target.ruri);
  } else if (extras != nullptr && !extras->ruri.empty()) {
    editor_.setRequestUri(extras->ruri);
  }
  if (!target.route.empty()) editor_.addHeader("Route", target.route);
  if (extras != nullptr) {
    for (const auto& [name, value] : extras->forwardHeaders) editor_.addHeader(name, value);
    if (extras->consumeCredentials) editor_.removeHeader("Proxy-Authorization");
  }

  std::string_view rrIn, rrOut;
  if (recordRoute) {
    auto rr = [this](int listener) -> const std::string& {
      return listenerText_[static_cast<size_t>(listener)].recordRoute;
    };
    rrIn = rr(in.listener);
    editor_.prependRecordRoute(rrIn);
    // Double Record-Route when the request leaves on another transport or address family, so
    // each side of the dialog reaches us on the interface it can use.
    if (outListener != in.listener) {
      rrOut = rr(outListener);
      editor_.prependRecordRoute(rrOut);
    }
  }
  editor_.serialize(out);
}

void Proxy::forwardStateless(const sip::Message& msg, const transport::Inbound& in,
                             RequestContext& ctx) {
  if (ctx.targets.empty()) return;
  const Target& target = ctx.targets.front();
  if (listenerFor(target.peer) < 0) return;
  // A branch derived from the incoming one: a retransmitted ACK gets the same branch.
  const sip::Via* via = msg.topVia();
  std::string branch = "z9hG4bKtdmS";
  appendHex(branch, fnv1a64(msg.callId(), fnv1a64(via ? via->branch : "")));
  out_.clear();
  buildForward(msg, in, target, branch, ctx.localRoutes, false, out_);
  transport_->send(target.peer.transport, target.peer.address, out_, target.peer.connection);
  ++counters_.statelessForwards;
}

void Proxy::forwardStateful(const sip::Message& msg, const transport::Inbound& in,
                            RequestContext& ctx) {
  const bool invite = msg.method() == sip::Method::kInvite;
  txn::ServerTransaction* server = txn_->createServer(
      std::string(serverKey(msg.methodToken(), msg)), invite, upstreamPeer(msg, in));
  std::unique_ptr<ProxyContext> owned = newContext();
  ProxyContext& p = *owned;
  p.request.assign(msg.buffer());
  p.msg.parse(p.request);
  p.in = in;
  p.in.data = {};
  p.server = server;
  p.targets = std::move(ctx.targets);
  p.routesToRemove = ctx.localRoutes;
  p.recordRoute = ctx.recordRoute;
  p.ruri = std::move(ctx.ruri);
  p.forwardHeaders = std::move(ctx.forwardHeaders);
  p.consumeCredentials = ctx.consumeCredentials;
  server->user = &p;
  contexts_.emplace(&p, std::move(owned));
  if (invite) {
    out_.clear();
    if (sip::buildResponse(p.msg, 100, "Trying", "", {}, out_)) server->respond(100, out_);
  }
  if (!startBranch(p)) {
    ++counters_.noDestination;
    replyFromContext(p, 503, "Service Unavailable");
  }
}

bool Proxy::startBranch(ProxyContext& p) {
  const bool invite = p.msg.method() == sip::Method::kInvite;
  while (p.next < p.targets.size()) {
    const Target& t = p.targets[p.next++];
    if (listenerFor(t.peer) < 0) continue;
    std::string branch = newBranch();
    std::string request;
    buildForward(p.msg, p.in, t, branch, p.routesToRemove, p.recordRoute, request, &p);
    std::string key(p.msg.methodToken());
    key.push_back(' ');
    key.append(branch);
    txn::ClientTransaction* c =
        txn_->startClient(std::move(key), branch, invite, t.peer, std::move(request), this);
    if (c == nullptr) continue;
    c->user = &p;
    c->tag = t.destination;
    p.branch = c;
    p.cancelSent = false;
    ++counters_.forwardedRequests;
    if (p.next > 1) ++counters_.failovers;
    return true;
  }
  return false;
}

void Proxy::replyFromContext(ProxyContext& p, int code, std::string_view reason,
                             std::span<const sip::HeaderLine> headers) {
  if (p.server == nullptr || p.finished) return;
  out_.clear();
  if (!sip::buildResponse(p.msg, code, reason, localTag(p.msg), headers, out_)) return;
  p.finished = code >= 200;
  countReply(code);
  countCallOutcome(p.msg, code);
  p.server->respond(code, out_);
  if (p.finished) releaseContext(p);
}

void Proxy::releaseContext(ProxyContext& p) {
  // The final answer is out: the server transaction absorbs retransmissions and resends it by
  // itself, and a 2xx retransmitted downstream goes up statelessly. Holding the context until
  // the transaction ends (Timer J / 2xx wait, 32 s) would keep tens of thousands of them, a few
  // KB each, at a few hundred calls/s. A REGISTER whose writes are pending keeps its context.
  if (p.writesPending > 0 || p.server == nullptr) return;
  p.server->user = nullptr;
  p.server = nullptr;
  if (p.branch != nullptr) {
    p.branch->user = nullptr;
    p.branch = nullptr;
  }
  deadContexts_.push_back(&p);  // freed by the flush hook, never while on the call stack
}

void Proxy::sendUpstream(ProxyContext& p, int code, const sip::Message& response) {
  if (p.server == nullptr) return;
  editor_.reset(response);
  editor_.removeTopVia();
  out_.clear();
  editor_.serialize(out_);
  // Retransmitted 2xx go up too; only the first final answer is an outcome.
  if (code >= 200 && !p.finished) countCallOutcome(p.msg, code);
  if (code >= 200) p.finished = true;
  ++counters_.forwardedResponses;
  countReply(code);
  p.server->respond(code, out_);
  if (code >= 200) releaseContext(p);
}

// ---------------------------------------------------------------- CANCEL

void Proxy::handleCancel(const sip::Message& msg, const transport::Inbound& in) {
  ++counters_.cancelsReceived;
  if (txn::ServerTransaction* s = txn_->findServer(serverKey("CANCEL", msg))) {
    s->retransmitted();
    return;
  }
  txn::ServerTransaction* invite = txn_->findServer(serverKey("INVITE", msg));
  if (invite == nullptr) {
    replyStateless(msg, in, 481, "Call/Transaction Does Not Exist");
    return;
  }
  txn::ServerTransaction* s =
      txn_->createServer(std::string(serverKey("CANCEL", msg)), false, upstreamPeer(msg, in));
  out_.clear();
  if (sip::buildResponse(msg, 200, "OK", "", {}, out_)) s->respond(200, out_);
  // The INVITE was answered already (its context is gone): the CANCEL has no effect (§9.2).
  if (invite->user == nullptr) return;
  auto& p = *static_cast<ProxyContext*>(invite->user);
  if (p.finished || p.cancelled) return;
  p.cancelled = true;
  // A CANCEL may only follow a provisional response (RFC 3261 §9.1); otherwise it leaves when
  // the first provisional arrives, or the branch times out and the caller gets 487.
  if (p.branch != nullptr && p.branch->gotProvisional()) sendCancel(p);
}

void Proxy::sendCancel(ProxyContext& p) {
  if (p.branch == nullptr || p.cancelSent) return;
  p.cancelSent = true;
  scratchMsg_.parse(p.branch->request());
  std::string cancel;
  if (!sip::buildCancel(scratchMsg_, cancel)) return;
  std::string key = "CANCEL ";
  key.append(p.branch->branch());
  txn_->startClient(std::move(key), p.branch->branch(), false, p.branch->peer(), std::move(cancel),
                    this);
}

// ---------------------------------------------------------------- responses

void Proxy::onResponseMessage(const sip::Message& msg, const transport::Inbound& in) {
  (void)in;
  const sip::Via* via = msg.topVia();
  const sip::CSeq* cseq = msg.cseq();
  if (via == nullptr || cseq == nullptr || !viaIsOurs(*via)) {
    ++counters_.droppedNoRoute;
    return;
  }
  key_.assign(cseq->methodToken);
  key_.push_back(' ');
  key_.append(via->branch);
  currentResponse_ = &msg;
  bool matched = txn_->receiveResponse(key_, msg.statusCode(), msg.buffer());
  currentResponse_ = nullptr;
  // With no transaction left, only a 2xx still matters to the caller (it establishes the
  // dialog); anything else answers a transaction that was already closed upstream.
  if (!matched) {
    if (msg.statusCode() >= 200 && msg.statusCode() < 300) {
      forwardResponseStateless(msg);
    } else {
      ++counters_.droppedNoRoute;
    }
  }
}

void Proxy::onResponse(txn::ClientTransaction& t, int code, std::string_view raw) {
  (void)raw;
  if (t.user == &probeMarker_) {
    if (code >= 200) {
      prober_->onReply(
          dispatcher::Ping{static_cast<dispatcher::DestId>(t.tag), static_cast<uint32_t>(t.cookie)},
          code, loop_.nowMs());
    }
    return;
  }
  const sip::Message& resp = *currentResponse_;
  if (code >= 300 && t.isInvite()) {
    // Every non-2xx final answer to INVITE is acknowledged on this hop, whoever still cares.
    scratchMsg_.parse(t.request());
    std::string ack;
    if (sip::buildAckForNon2xx(scratchMsg_, resp, ack)) t.sendAck(std::move(ack));
  }
  auto* p = static_cast<ProxyContext*>(t.user);
  if (p == nullptr || p->branch != &t) {
    // No proxy state any more (or an abandoned branch): only a 2xx still matters upstream.
    if (code >= 200 && code < 300 && resp.cseq()->method != sip::Method::kCancel) {
      forwardResponseStateless(resp);
    }
    return;
  }
  if (code == 100) return;  // hop by hop: we sent our own
  countBranchOutcome(t, code);
  if (code < 200) {
    if (p->cancelled) sendCancel(*p);
    if (!p->finished) sendUpstream(*p, code, resp);
    return;
  }
  if (code < 300) {
    if (t.isInvite() && p->msg.to() != nullptr && p->msg.to()->tag().empty() &&
        resp.to() != nullptr && p->msg.from() != nullptr) {
      dialogs_->confirm(p->msg.callId(), p->msg.from()->tag(), resp.to()->tag(), t.tag);
    }
    sendUpstream(*p, code, resp);  // every 2xx goes up, retransmissions included
    return;
  }
  t.user = nullptr;
  p->branch = nullptr;
  branchFailed(*p, code, &resp);
}

void Proxy::onTimeout(txn::ClientTransaction& t) {
  if (t.user == &probeMarker_) {
    prober_->onTimeout(
        dispatcher::Ping{static_cast<dispatcher::DestId>(t.tag), static_cast<uint32_t>(t.cookie)});
    return;
  }
  auto* p = static_cast<ProxyContext*>(t.user);
  if (p == nullptr || p->branch != &t) return;
  ++counters_.branchTimeouts;
  countBranchOutcome(t, 408);
  // A destination that times out is suspect: probing confirms or clears it (ds_mark_dst "tp").
  if (t.tag >= 0 && prober_) prober_->onCallFailed(static_cast<dispatcher::DestId>(t.tag));
  // Timer C after a provisional: cancel the ringing branch before moving on (RFC 3261 §16.8).
  if (t.isInvite() && t.gotProvisional()) sendCancel(*p);
  t.user = nullptr;
  p->branch = nullptr;
  branchFailed(*p, 408, nullptr);
}

void Proxy::branchFailed(ProxyContext& p, int code, const sip::Message* response) {
  const bool failover = code == 408 || (code >= 500 && code < 600);
  if (!p.cancelled && !p.finished && failover) {
    if (response != nullptr) {
      p.bestCode = code;
      p.bestResponse.assign(response->buffer());
    }
    if (startBranch(p)) return;
  }
  if (p.cancelled) {
    if (response != nullptr && code == 487) {
      sendUpstream(p, code, *response);
    } else {
      replyFromContext(p, 487, "Request Terminated");
    }
    return;
  }
  if (response != nullptr) {
    sendUpstream(p, code, *response);
  } else if (!p.bestResponse.empty()) {
    // The last branch stayed silent: the caller gets the best answer an earlier branch gave.
    std::string best = std::move(p.bestResponse);
    scratchMsg_.parse(best);
    sendUpstream(p, p.bestCode, scratchMsg_);
  } else {
    replyFromContext(p, code, code == 408 ? "Request Timeout" : "Service Unavailable");
  }
}

void Proxy::forwardResponseStateless(const sip::Message& msg) {
  auto vias = msg.vias();
  if (vias.size() < 2) {
    ++counters_.droppedNoRoute;
    return;
  }
  const sip::Via& next = vias[1];
  std::string_view host = next.received.empty() ? next.host : next.received;
  uint16_t port = next.hasPort ? next.port : 5060;
  if (next.hasRport && !next.rport.empty()) {
    unsigned v = 0;
    for (char c : next.rport) v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > 0 && v < 65536) port = static_cast<uint16_t>(v);
  }
  auto addr = SocketAddress::fromHostPort(host, port);
  if (!addr) {
    ++counters_.droppedNoRoute;
    return;
  }
  // Never reflect a response to a broadcast or multicast address (RFC 4475 bcast).
  if (addr->isBroadcastOrMulticast()) {
    ++counters_.droppedBroadcast;
    return;
  }
  Transport tr = equalsIgnoreCase(next.transport, "TCP") ? Transport::kTcp : Transport::kUdp;
  editor_.reset(msg);
  editor_.removeTopVia();
  out_.clear();
  editor_.serialize(out_);
  transport_->send(tr, *addr, out_, 0);
  ++counters_.statelessForwards;
}

// ---------------------------------------------------------------- termination

void Proxy::onTerminated(txn::ClientTransaction& t) {
  if (t.user == &probeMarker_) return;
  auto* p = static_cast<ProxyContext*>(t.user);
  if (p != nullptr && p->branch == &t) p->branch = nullptr;
  t.user = nullptr;
}

void Proxy::onTerminated(txn::ServerTransaction& t) {
  auto* p = static_cast<ProxyContext*>(t.user);
  t.user = nullptr;
  if (p == nullptr) return;
  if (p->branch != nullptr) {
    p->branch->user = nullptr;
    p->branch = nullptr;
  }
  p->server = nullptr;
  deadContexts_.push_back(p);  // freed by the flush hook, never while on the call stack
}

}  // namespace tandem::edge
