// UDP with recvmmsg/sendmmsg batches and TCP connections framed by Content-Length.
#include "transport/transport.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "core/log.h"
#include "sip/framing.h"

namespace tandem::transport {

namespace {

int openSocket(const SocketAddress& addr, int type) {
  int fd = socket(addr.isV6() ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (addr.isV6()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  return fd;
}

Status bindSocket(int fd, SocketAddress& addr, const char* what) {
  if (bind(fd, addr.sockaddr(), addr.length()) != 0) {
    return Status::error(std::string("cannot bind ") + what + " " + addr.toString() + ": " +
                         std::strerror(errno));
  }
  socklen_t len = sizeof(sockaddr_storage);
  getsockname(fd, addr.mutableSockaddr(), &len);
  addr.setLength(len);
  return Status::ok();
}

}  // namespace

// ---------------------------------------------------------------- UDP

class TransportLayer::UdpSocket final : public EventHandler {
 public:
  static constexpr size_t kDatagramMax = 65536;
  static constexpr size_t kSendArena = 512 * 1024;

  UdpSocket(TransportLayer& layer, int fd, int listener)
      : layer_(layer), fd_(fd), listener_(listener) {
    int batch = layer.limits_.udpBatch;
    rxBuf_.resize(static_cast<size_t>(batch) * kDatagramMax);
    rxMsgs_.resize(batch);
    rxIov_.resize(batch);
    rxAddr_.resize(batch);
    txMsgs_.resize(batch);
    txIov_.resize(batch);
    txAddr_.resize(batch);
    txArena_.resize(kSendArena);
    int size = 4 * 1024 * 1024;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  }
  ~UdpSocket() override { close(fd_); }
  int fd() const { return fd_; }

  void onEvent(uint32_t) override {
    const int batch = static_cast<int>(rxMsgs_.size());
    // Bounded rounds so one busy socket cannot starve timers and other sockets.
    for (int round = 0; round < 8; ++round) {
      for (int i = 0; i < batch; ++i) {
        rxIov_[i].iov_base = rxBuf_.data() + static_cast<size_t>(i) * kDatagramMax;
        rxIov_[i].iov_len = kDatagramMax;
        std::memset(&rxMsgs_[i].msg_hdr, 0, sizeof(msghdr));
        rxMsgs_[i].msg_hdr.msg_iov = &rxIov_[i];
        rxMsgs_[i].msg_hdr.msg_iovlen = 1;
        rxMsgs_[i].msg_hdr.msg_name = &rxAddr_[i];
        rxMsgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      }
      int n = recvmmsg(fd_, rxMsgs_.data(), batch, MSG_DONTWAIT, nullptr);
      ++layer_.stats_.recvSyscalls;
      if (n <= 0) return;
      for (int i = 0; i < n; ++i) {
        Inbound in;
        in.transport = Transport::kUdp;
        in.source = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&rxAddr_[i]),
                                                rxMsgs_[i].msg_hdr.msg_namelen);
        in.listener = listener_;
        in.data =
            std::string_view(static_cast<const char*>(rxIov_[i].iov_base), rxMsgs_[i].msg_len);
        if (rxMsgs_[i].msg_hdr.msg_flags & MSG_TRUNC) {
          ++layer_.stats_.framingErrors;
          layer_.receiver_.onFramingError(in, "datagram larger than 64 KiB");
          continue;
        }
        ++layer_.stats_.rxMessages;
        layer_.stats_.rxBytes += in.data.size();
        // RFC 5626 keepalives (CRLF) carry no message.
        if (in.data.find_first_not_of("\r\n") == std::string_view::npos) continue;
        layer_.receiver_.onMessage(in);
      }
      flush();
      if (n < batch) return;
    }
  }

  void queue(const SocketAddress& dst, std::string_view data) {
    if (data.size() > txArena_.size()) {  // oversized: send on its own
      sendto(fd_, data.data(), data.size(), 0, dst.sockaddr(), dst.length());
      ++layer_.stats_.sendSyscalls;
      return;
    }
    if (txCount_ == txMsgs_.size() || txUsed_ + data.size() > txArena_.size()) flush();
    std::memcpy(txArena_.data() + txUsed_, data.data(), data.size());
    txIov_[txCount_].iov_base = txArena_.data() + txUsed_;
    txIov_[txCount_].iov_len = data.size();
    std::memcpy(&txAddr_[txCount_], dst.sockaddr(), dst.length());
    auto& h = txMsgs_[txCount_].msg_hdr;
    std::memset(&h, 0, sizeof(h));
    h.msg_iov = &txIov_[txCount_];
    h.msg_iovlen = 1;
    h.msg_name = &txAddr_[txCount_];
    h.msg_namelen = dst.length();
    txUsed_ += data.size();
    ++txCount_;
  }

  void flush() {
    size_t sent = 0;
    while (sent < txCount_) {
      int n = sendmmsg(fd_, txMsgs_.data() + sent, static_cast<unsigned>(txCount_ - sent), 0);
      ++layer_.stats_.sendSyscalls;
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        // The datagram at `sent` failed (e.g. unreachable destination): skip it, keep the rest.
        ++layer_.stats_.sendErrors;
        ++sent;
        continue;
      }
      sent += static_cast<size_t>(n);
    }
    txCount_ = 0;
    txUsed_ = 0;
  }

 private:
  TransportLayer& layer_;
  int fd_;
  int listener_;
  std::vector<char> rxBuf_;
  std::vector<mmsghdr> rxMsgs_;
  std::vector<iovec> rxIov_;
  std::vector<sockaddr_storage> rxAddr_;
  std::vector<mmsghdr> txMsgs_;
  std::vector<iovec> txIov_;
  std::vector<sockaddr_storage> txAddr_;
  std::vector<char> txArena_;
  size_t txCount_ = 0;
  size_t txUsed_ = 0;
};

// ---------------------------------------------------------------- TCP

class TransportLayer::TcpConnection final : public EventHandler {
 public:
  TcpConnection(TransportLayer& layer, int fd, uint64_t id, SocketAddress peer, int listener,
                bool connecting)
      : layer_(layer), fd_(fd), id_(id), peer_(peer), listener_(listener), connecting_(connecting) {
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    lastActivityMs_ = layer_.loop_.nowMs();
    layer_.loop_.add(fd_, events(), this);
    armIdleTimer();
  }
  ~TcpConnection() override {
    layer_.loop_.timers().cancel(idleTimer_);
    if (fd_ >= 0) {
      layer_.loop_.remove(fd_);
      close(fd_);
    }
  }
  uint64_t id() const { return id_; }
  const SocketAddress& peer() const { return peer_; }
  bool closed() const { return closed_; }

  void write(std::string_view data) {
    if (closed_) return;
    lastActivityMs_ = layer_.loop_.nowMs();
    if (!connecting_ && out_.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      ++layer_.stats_.sendSyscalls;
      if (n == static_cast<ssize_t>(data.size())) return;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        ++layer_.stats_.sendErrors;
        fail();
        return;
      }
      if (n > 0) data.remove_prefix(static_cast<size_t>(n));
    }
    if (out_.size() + data.size() > layer_.limits_.tcpMaxPendingWrite) {
      ++layer_.stats_.sendErrors;
      fail();
      return;
    }
    bool wasEmpty = out_.empty();
    out_.append(data);
    if (wasEmpty && !connecting_) layer_.loop_.modify(fd_, events(), this);
  }

  void onEvent(uint32_t ev) override {
    if (closed_) return;
    if (connecting_ && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        ++layer_.stats_.sendErrors;
        fail();
        return;
      }
      connecting_ = false;
      ++layer_.stats_.tcpConnected;
      layer_.loop_.modify(fd_, events(), this);
    }
    if (ev & EPOLLIN) readAll();
    if (closed_) return;
    if ((ev & EPOLLOUT) && !out_.empty()) drain();
    if (!closed_ && (ev & (EPOLLERR | EPOLLHUP)) && !(ev & EPOLLIN)) fail();
  }

 private:
  uint32_t events() const {
    uint32_t e = EPOLLIN | EPOLLRDHUP;
    if (connecting_ || !out_.empty()) e |= EPOLLOUT;
    return e;
  }

  void readAll() {
    char buf[65536];
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n > 0) {
        lastActivityMs_ = layer_.loop_.nowMs();
        layer_.stats_.rxBytes += static_cast<uint64_t>(n);
        in_.append(buf, static_cast<size_t>(n));
        if (!deliver()) return;
        continue;
      }
      if (n == 0) {  // peer closed
        fail();
        return;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      fail();
      return;
    }
  }

  // Hands every complete message in in_ up. Returns false when the connection was closed.
  bool deliver() {
    size_t offset = 0;
    bool ok = true;
    while (offset < in_.size()) {
      std::string_view rest(in_.data() + offset, in_.size() - offset);
      sip::FrameResult f =
          sip::frame(rest, layer_.limits_.maxHeaderBytes, layer_.limits_.maxBodyBytes);
      if (f.ping) write("\r\n");  // RFC 5626 §4.4.1 keep-alive: answer the ping with a pong
      if (f.kind == sip::FrameResult::Kind::kNeedMore) {
        offset += f.skip;
        break;
      }
      Inbound in;
      in.transport = Transport::kTcp;
      in.source = peer_;
      in.listener = listener_;
      in.connection = id_;
      if (f.kind == sip::FrameResult::Kind::kError) {
        ++layer_.stats_.framingErrors;
        in.data = rest;
        layer_.receiver_.onFramingError(in, f.error);
        ok = false;
        break;
      }
      in.data = rest.substr(f.skip, f.length);
      offset += f.skip + f.length;
      ++layer_.stats_.rxMessages;
      layer_.receiver_.onMessage(in);
      if (closed_) return false;
    }
    if (!ok) {
      fail();
      return false;
    }
    in_.erase(0, offset);
    return true;
  }

  void drain() {
    while (!out_.empty()) {
      ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
      ++layer_.stats_.sendSyscalls;
      if (n > 0) {
        out_.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0 && errno == EINTR) continue;
      ++layer_.stats_.sendErrors;
      fail();
      return;
    }
    layer_.loop_.modify(fd_, events(), this);
  }

  void armIdleTimer() {
    idleTimer_ = layer_.loop_.timers().schedule(
        layer_.limits_.tcpIdleTimeoutMs,
        TimerTask{[](void* ctx, uint64_t) { static_cast<TcpConnection*>(ctx)->onIdleTimer(); },
                  this, 0});
  }
  void onIdleTimer() {
    idleTimer_ = 0;
    uint64_t idle = layer_.loop_.nowMs() - lastActivityMs_;
    if (idle >= layer_.limits_.tcpIdleTimeoutMs) {
      ++layer_.stats_.tcpIdleClosed;
      fail();
      return;
    }
    armIdleTimer();
  }

  void fail() {
    if (closed_) return;
    closed_ = true;
    layer_.closeConnection(this);
  }

  TransportLayer& layer_;
  int fd_;
  uint64_t id_;
  SocketAddress peer_;
  int listener_;
  bool connecting_;
  bool closed_ = false;
  std::string in_;
  std::string out_;
  uint64_t lastActivityMs_ = 0;
  TimerId idleTimer_ = 0;
};

class TransportLayer::TcpListener final : public EventHandler {
 public:
  TcpListener(TransportLayer& layer, int fd, int listener)
      : layer_(layer), fd_(fd), listener_(listener) {}
  ~TcpListener() override { close(fd_); }
  int fd() const { return fd_; }
  void onEvent(uint32_t) override {
    for (;;) {
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      int c = accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) return;
      if (layer_.openConnections() >= layer_.limits_.tcpMaxConnections) {
        close(c);
        continue;
      }
      ++layer_.stats_.tcpAccepted;
      auto peer = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
      layer_.adoptConnection(
          std::make_unique<TcpConnection>(layer_, c, layer_.nextConnId_++, peer, listener_, false));
    }
  }

 private:
  TransportLayer& layer_;
  int fd_;
  int listener_;
};

// ---------------------------------------------------------------- the layer

struct TransportLayer::ConnTable {
  std::unordered_map<uint64_t, std::unique_ptr<TcpConnection>> byId;
  std::unordered_map<SocketAddress, uint64_t, SocketAddressHash> byPeer;
  std::vector<std::unique_ptr<TcpConnection>> graveyard;  // freed after the loop round
};

TransportLayer::TransportLayer(EventLoop& loop, Receiver& receiver, Limits limits)
    : loop_(loop), receiver_(receiver), limits_(limits), conns_(std::make_unique<ConnTable>()) {
  loop_.addFlushHook([this] {
    flush();
    reapClosed();
  });
}

TransportLayer::~TransportLayer() {
  conns_->byId.clear();
  conns_->graveyard.clear();
  for (auto& u : udp_) {
    if (u) loop_.remove(u->fd());
  }
  for (auto& t : tcpListen_) {
    if (t) loop_.remove(t->fd());
  }
}

Status TransportLayer::listen(const ListenSpec& spec) {
  ListenSpec bound = spec;
  int index = static_cast<int>(listeners_.size());
  if (spec.transport == Transport::kUdp) {
    int fd = openSocket(spec.address, SOCK_DGRAM);
    if (fd < 0) return Status::error("cannot open UDP socket: " + std::string(strerror(errno)));
    if (Status s = bindSocket(fd, bound.address, "udp"); !s) {
      close(fd);
      return s;
    }
    auto sock = std::make_unique<UdpSocket>(*this, fd, index);
    loop_.add(fd, EPOLLIN, sock.get());
    udp_.push_back(std::move(sock));
    tcpListen_.push_back(nullptr);
  } else {
    int fd = openSocket(spec.address, SOCK_STREAM);
    if (fd < 0) return Status::error("cannot open TCP socket: " + std::string(strerror(errno)));
    if (Status s = bindSocket(fd, bound.address, "tcp"); !s) {
      close(fd);
      return s;
    }
    if (::listen(fd, 1024) != 0) {
      close(fd);
      return Status::error("cannot listen on tcp " + bound.address.toString() + ": " +
                           strerror(errno));
    }
    auto l = std::make_unique<TcpListener>(*this, fd, index);
    loop_.add(fd, EPOLLIN, l.get());
    tcpListen_.push_back(std::move(l));
    udp_.push_back(nullptr);
  }
  listeners_.push_back(bound);
  return Status::ok();
}

int TransportLayer::listenerFor(Transport transport, const SocketAddress& dst) const {
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i].transport == transport && listeners_[i].address.isV6() == dst.isV6()) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

TransportLayer::TcpConnection* TransportLayer::findConnection(uint64_t id) const {
  auto it = conns_->byId.find(id);
  return it == conns_->byId.end() || it->second->closed() ? nullptr : it->second.get();
}

TransportLayer::TcpConnection* TransportLayer::findConnectionTo(const SocketAddress& dst) const {
  auto it = conns_->byPeer.find(dst);
  return it == conns_->byPeer.end() ? nullptr : findConnection(it->second);
}

void TransportLayer::adoptConnection(std::unique_ptr<TcpConnection> c) {
  conns_->byPeer[c->peer()] = c->id();
  conns_->byId.emplace(c->id(), std::move(c));
}

void TransportLayer::closeConnection(TcpConnection* c) {
  ++stats_.tcpClosed;
  auto p = conns_->byPeer.find(c->peer());
  if (p != conns_->byPeer.end() && p->second == c->id()) conns_->byPeer.erase(p);
  auto it = conns_->byId.find(c->id());
  if (it != conns_->byId.end()) {
    // The connection may be on the call stack: free it after the loop round.
    conns_->graveyard.push_back(std::move(it->second));
    conns_->byId.erase(it);
  }
}

void TransportLayer::reapClosed() { conns_->graveyard.clear(); }

size_t TransportLayer::openConnections() const { return conns_->byId.size(); }

bool TransportLayer::send(Transport transport, const SocketAddress& dst, std::string_view data,
                          uint64_t connection) {
  if (transport == Transport::kUdp) {
    int l = listenerFor(Transport::kUdp, dst);
    if (l < 0) return false;
    ++stats_.txMessages;
    stats_.txBytes += data.size();
    udp_[l]->queue(dst, data);
    return true;
  }
  TcpConnection* c = connection != 0 ? findConnection(connection) : nullptr;
  if (c == nullptr) c = findConnectionTo(dst);
  if (c == nullptr) {
    int l = listenerFor(Transport::kTcp, dst);
    int fd = socket(dst.isV6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int rc = connect(fd, dst.sockaddr(), dst.length());
    if (rc != 0 && errno != EINPROGRESS) {
      close(fd);
      ++stats_.sendErrors;
      return false;
    }
    auto conn = std::make_unique<TcpConnection>(*this, fd, nextConnId_++, dst, l < 0 ? 0 : l, true);
    c = conn.get();
    adoptConnection(std::move(conn));
  }
  ++stats_.txMessages;
  stats_.txBytes += data.size();
  c->write(data);
  return true;
}

void TransportLayer::flush() {
  for (auto& u : udp_) {
    if (u) u->flush();
  }
}

}  // namespace tandem::transport
