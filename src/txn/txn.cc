// Transaction state machines of RFC 3261 §17 with RFC 6026's Accepted states.
#include "txn/txn.h"

#include "core/hash.h"

namespace tandem::txn {

namespace {
// Timer ids within a transaction.
enum : uint64_t { kG = 1, kH, kI, kJ, kL, kA, kB, kD, kE, kF, kK, kM };

bool reliable(const Peer& p) { return p.transport != Transport::kUdp; }
}  // namespace

// ---------------------------------------------------------------- server

void ServerTransaction::arm(uint64_t which, uint32_t ms) {
  TimerTask task{[](void* ctx, uint64_t w) { static_cast<ServerTransaction*>(ctx)->onTimer(w); },
                 this, which};
  TimerId id = layer_.loop_.timers().schedule(ms, task);
  if (which == kG) {
    timerRetransmit_ = id;
  } else {
    layer_.loop_.timers().cancel(timerEnd_);
    timerEnd_ = id;
  }
}

void ServerTransaction::cancelTimers() {
  layer_.loop_.timers().cancel(timerRetransmit_);
  layer_.loop_.timers().cancel(timerEnd_);
  timerRetransmit_ = timerEnd_ = 0;
}

void ServerTransaction::respond(int code, std::string_view bytes) {
  if (state_ == State::kTerminated || state_ == State::kConfirmed) return;
  if (state_ == State::kCompleted) return;  // a final answer was given already
  const Timers& t = layer_.timers_;
  layer_.send(peer_, bytes);
  if (state_ == State::kAccepted) return;  // further 2xx pass through, nothing to keep
  lastResponse_.assign(bytes);
  lastCode_ = code;
  if (code < 200) {
    state_ = State::kProceeding;
    return;
  }
  if (invite_ && code < 300) {
    state_ = State::kAccepted;
    arm(kL, 64 * t.t1);
    return;
  }
  state_ = State::kCompleted;
  if (invite_) {
    if (!reliable(peer_)) {
      gInterval_ = t.t1;
      arm(kG, gInterval_);
    }
    arm(kH, 64 * t.t1);
  } else {
    if (reliable(peer_)) {
      terminate();
    } else {
      arm(kJ, 64 * t.t1);
    }
  }
}

void ServerTransaction::retransmitted() {
  ++layer_.counters_.requestRetransmissionsAbsorbed;
  if ((state_ == State::kProceeding || state_ == State::kCompleted) && !lastResponse_.empty()) {
    layer_.send(peer_, lastResponse_);
    ++layer_.counters_.retransmissionsSent;
  }
}

void ServerTransaction::ackReceived() {
  if (!invite_ || state_ != State::kCompleted) return;
  state_ = State::kConfirmed;
  layer_.loop_.timers().cancel(timerRetransmit_);
  timerRetransmit_ = 0;
  if (reliable(peer_)) {
    terminate();
  } else {
    arm(kI, layer_.timers_.t4);
  }
}

void ServerTransaction::onTimer(uint64_t which) {
  if (which == kG) {
    timerRetransmit_ = 0;
    if (state_ != State::kCompleted) return;
    layer_.send(peer_, lastResponse_);
    ++layer_.counters_.retransmissionsSent;
    gInterval_ = std::min(gInterval_ * 2, layer_.timers_.t2);
    arm(kG, gInterval_);
    return;
  }
  timerEnd_ = 0;
  terminate();  // H (no ACK came), I, J, L
}

void ServerTransaction::terminate() {
  if (state_ == State::kTerminated) return;
  state_ = State::kTerminated;
  cancelTimers();
  layer_.destroyServer(this);
}

// ---------------------------------------------------------------- client

void ClientTransaction::arm(uint64_t which, uint32_t ms) {
  TimerTask task{[](void* ctx, uint64_t w) { static_cast<ClientTransaction*>(ctx)->onTimer(w); },
                 this, which};
  TimerId id = layer_.loop_.timers().schedule(ms, task);
  TimerId* slot = (which == kA || which == kE)   ? &timerRetransmit_
                  : (which == kB || which == kF) ? &timerTimeout_
                                                 : &timerEnd_;
  layer_.loop_.timers().cancel(*slot);
  *slot = id;
}

void ClientTransaction::cancelTimers() {
  layer_.loop_.timers().cancel(timerRetransmit_);
  layer_.loop_.timers().cancel(timerTimeout_);
  layer_.loop_.timers().cancel(timerEnd_);
  timerRetransmit_ = timerTimeout_ = timerEnd_ = 0;
}

void ClientTransaction::start() {
  const Timers& t = layer_.timers_;
  layer_.send(peer_, request_);
  if (!reliable(peer_)) {
    interval_ = t.t1;
    arm(invite_ ? kA : kE, interval_);
  }
  arm(invite_ ? kB : kF, t.frTimer);
}

void ClientTransaction::sendAck(std::string ack) {
  ack_ = std::move(ack);
  layer_.send(peer_, ack_);
}

void ClientTransaction::onResponse(int code, std::string_view raw) {
  const Timers& t = layer_.timers_;
  switch (state_) {
    case State::kCalling:
    case State::kProceeding:
      if (code < 200) {
        if (state_ == State::kCalling) {
          state_ = State::kProceeding;
          gotProvisional_ = true;
          if (invite_) {
            layer_.loop_.timers().cancel(timerRetransmit_);
            timerRetransmit_ = 0;
            arm(kB, t.frInvTimer);
          } else {
            interval_ = t.t2;  // Timer E continues at T2 in Proceeding
          }
        }
        if (owner_ != nullptr) owner_->onResponse(*this, code, raw);
        return;
      }
      layer_.loop_.timers().cancel(timerRetransmit_);
      layer_.loop_.timers().cancel(timerTimeout_);
      timerRetransmit_ = timerTimeout_ = 0;
      if (invite_ && code < 300) {
        state_ = State::kAccepted;
        arm(kM, 64 * t.t1);
      } else {
        state_ = State::kCompleted;
        uint32_t wait = reliable(peer_) ? 0 : (invite_ ? 32000 : t.t4);
        arm(invite_ ? kD : kK, wait);
      }
      if (owner_ != nullptr) owner_->onResponse(*this, code, raw);
      return;
    case State::kAccepted:
      if (code >= 200 && code < 300 && owner_ != nullptr) {
        owner_->onResponse(*this, code, raw);  // 2xx retransmission: the UAC needs it
      } else {
        ++layer_.counters_.responseRetransmissionsAbsorbed;
      }
      return;
    case State::kCompleted:
      ++layer_.counters_.responseRetransmissionsAbsorbed;
      if (invite_ && !ack_.empty()) layer_.send(peer_, ack_);
      return;
    case State::kTerminated:
      return;
  }
}

void ClientTransaction::onTimer(uint64_t which) {
  const Timers& t = layer_.timers_;
  switch (which) {
    case kA:
    case kE:
      timerRetransmit_ = 0;
      if (state_ != State::kCalling && !(state_ == State::kProceeding && !invite_)) return;
      layer_.send(peer_, request_);
      ++layer_.counters_.retransmissionsSent;
      interval_ = (which == kA) ? interval_ * 2 : std::min(interval_ * 2, t.t2);
      arm(which, interval_);
      return;
    case kB:
    case kF:
      timerTimeout_ = 0;
      if (state_ != State::kCalling && state_ != State::kProceeding) return;
      if (timedOut_) {  // the grace period after Timer C ran out too
        terminate();
        return;
      }
      ++layer_.counters_.clientTimeouts;
      timedOut_ = true;
      if (owner_ != nullptr) owner_->onTimeout(*this);
      if (invite_ && gotProvisional_ && state_ == State::kProceeding) {
        // Timer C (RFC 3261 §16.8): the owner cancels the branch; stay to ACK its final answer.
        arm(kB, 64 * t.t1);
        return;
      }
      terminate();
      return;
    default:  // D, K, M
      timerEnd_ = 0;
      terminate();
      return;
  }
}

void ClientTransaction::terminate() {
  if (state_ == State::kTerminated) return;
  state_ = State::kTerminated;
  cancelTimers();
  layer_.destroyClient(this);
}

// ---------------------------------------------------------------- layer

size_t TransactionLayer::Hash::operator()(std::string_view s) const {
  return static_cast<size_t>(fnv1a64(s));
}

TransactionLayer::TransactionLayer(EventLoop& loop, transport::TransportLayer& transport,
                                   Timers timers, ServerUser* serverUser)
    : loop_(loop), transport_(transport), timers_(timers), serverUser_(serverUser) {
  loop_.addFlushHook([this] {
    deadServers_.clear();
    deadClients_.clear();
  });
}

TransactionLayer::~TransactionLayer() {
  for (auto& [k, t] : servers_) t->cancelTimers();
  for (auto& [k, t] : clients_) t->cancelTimers();
}

bool TransactionLayer::send(const Peer& peer, std::string_view bytes) {
  return transport_.send(peer.transport, peer.address, bytes, peer.connection);
}

ServerTransaction* TransactionLayer::findServer(std::string_view key) {
  auto it = servers_.find(key);
  return it == servers_.end() ? nullptr : it->second.get();
}

ServerTransaction* TransactionLayer::createServer(std::string key, bool invite, const Peer& peer) {
  std::unique_ptr<ServerTransaction> t(new ServerTransaction(*this, key, invite, peer));
  if (invite) t->state_ = ServerTransaction::State::kProceeding;
  ServerTransaction* raw = t.get();
  servers_.emplace(std::move(key), std::move(t));
  ++counters_.serverCreated;
  ++counters_.activeServer;
  return raw;
}

ClientTransaction* TransactionLayer::findClient(std::string_view key) {
  auto it = clients_.find(key);
  return it == clients_.end() ? nullptr : it->second.get();
}

ClientTransaction* TransactionLayer::startClient(std::string key, std::string branch, bool invite,
                                                 const Peer& peer, std::string request,
                                                 ClientUser* owner) {
  if (transport_.listenerFor(peer.transport, peer.address) < 0) return nullptr;
  std::unique_ptr<ClientTransaction> t(new ClientTransaction(*this, key, std::move(branch), invite,
                                                             peer, std::move(request), owner));
  ClientTransaction* raw = t.get();
  auto [it, inserted] = clients_.emplace(std::move(key), std::move(t));
  if (!inserted) return nullptr;  // branch collision: never expected with unique branches
  ++counters_.clientCreated;
  ++counters_.activeClient;
  raw->start();
  return raw;
}

bool TransactionLayer::receiveResponse(std::string_view key, int code, std::string_view raw) {
  ClientTransaction* t = findClient(key);
  if (t == nullptr) return false;
  t->onResponse(code, raw);
  return true;
}

void TransactionLayer::destroyServer(ServerTransaction* t) {
  auto it = servers_.find(std::string_view(t->key_));
  if (it == servers_.end()) return;
  --counters_.activeServer;
  if (serverUser_ != nullptr) serverUser_->onTerminated(*t);
  deadServers_.push_back(std::move(it->second));
  servers_.erase(it);
}

void TransactionLayer::destroyClient(ClientTransaction* t) {
  auto it = clients_.find(std::string_view(t->key_));
  if (it == clients_.end()) return;
  --counters_.activeClient;
  if (t->owner_ != nullptr) t->owner_->onTerminated(*t);
  deadClients_.push_back(std::move(it->second));
  clients_.erase(it);
}

}  // namespace tandem::txn
