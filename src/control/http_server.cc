// The control endpoint's HTTP server: one Connection per accepted socket, level-triggered epoll,
// one timer per connection for idle, slow-request, awaited-answer and lingering-close deadlines.
#include "control/http_server.h"

#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>

#include "core/log.h"

namespace tandem::control {

namespace {

// Stop parsing further pipelined requests while this much output waits for a slow reader.
constexpr size_t kMaxPendingOutput = size_t{1} << 20;
constexpr size_t kReadChunk = size_t{64} << 10;
// After the last response of a closing connection: how long unread input is drained, so the
// client sees the response rather than a reset (lingering close, RFC 9112 §9.6).
constexpr uint32_t kLingerMs = 2'000;
constexpr int kAcceptBatch = 64;

}  // namespace

class HttpServer::Listener final : public EventHandler {
 public:
  Listener(HttpServer& server, int fd) : server_(server), fd_(fd) {}
  ~Listener() override { close(fd_); }
  int fd() const { return fd_; }
  void onEvent(uint32_t) override { server_.accept(); }

 private:
  HttpServer& server_;
  int fd_;
};

class HttpServer::Connection final : public EventHandler {
 public:
  Connection(HttpServer& server, int fd, uint64_t id)
      : server_(server), fd_(fd), id_(id), parser_(server.limits_) {}
  ~Connection() override {
    server_.loop_.timers().cancel(timer_);
    server_.loop_.remove(fd_);
    close(fd_);
  }

  bool start() {
    events_ = EPOLLIN;
    if (!server_.loop_.add(fd_, events_, this)) return false;
    armTimer();
    return true;
  }

  void onEvent(uint32_t events) override {
    if (!handle(events)) server_.destroy(id_);  // `this` is gone
  }

  void onTimer() {
    timer_ = 0;
    uint64_t now = server_.loop_.nowMs();
    if (now < deadlineMs_) {
      timer_ =
          server_.loop_.timers().schedule(deadlineMs_ - now, {&HttpServer::onTimer, &server_, id_});
      return;
    }
    ++server_.stats_.timeouts;
    if (awaiting_) {
      // The handler never answered: tell the client, and make a late answer a no-op (the
      // connection closes, so it cannot be mistaken for the answer to a later request).
      awaiting_ = false;
      queue(serializeResponse(HttpResponse::text(503, "no answer in time\n"), pendingHead_, true));
      closeAfterFlush_ = true;
      if (!finish()) server_.destroy(id_);  // `this` is gone
      return;
    }
    if (lingering_ || peerClosed_ || closeAfterFlush_ || !parser_.started()) {
      server_.destroy(id_);  // `this` is gone
      return;
    }
    // A request started but never completed: say so before closing.
    queue(
        serializeResponse(HttpResponse::text(408, "request not received in time\n"), false, true));
    closeAfterFlush_ = true;
    if (!finish()) server_.destroy(id_);
  }

  // The answer to request number seq, now or later (see HttpServer::deliver). May destroy the
  // connection when called from outside the handler: the caller must not touch it after.
  void answer(uint64_t seq, const HttpResponse& response) {
    if (!awaiting_ || seq != seq_) {
      ++server_.stats_.droppedReplies;  // a second answer, or one after the 503
      return;
    }
    awaiting_ = false;
    bool close = pendingClose_ || peerClosed_;
    queue(serializeResponse(response, pendingHead_, close));
    if (close) closeAfterFlush_ = true;
    if (inHandler_) return;  // process() carries on once the handler returns
    armTimer();
    process();                            // requests pipelined behind this one
    if (!finish()) server_.destroy(id_);  // `this` is gone
  }

 private:
  // Returns false when the connection must be destroyed.
  bool handle(uint32_t events) {
    if (events & EPOLLERR) return false;
    if (events & EPOLLOUT) {
      if (!flush()) return false;
    }
    if (events & (EPOLLIN | EPOLLHUP)) {
      if (!readAvailable()) return false;
      if (lingering_) return !peerClosed_;
      process();
    } else if (outOff_ == out_.size() && !closeAfterFlush_ && !lingering_) {
      process();  // output drained: resume pipelined requests held back by backpressure
    }
    return finish();
  }

  bool readAvailable() {
    size_t old = in_.size();
    in_.resize(old + kReadChunk);
    ssize_t n = ::read(fd_, in_.data() + old, kReadChunk);
    if (n > 0) {
      in_.resize(old + static_cast<size_t>(n));
    } else {
      in_.resize(old);
      if (n == 0) {
        peerClosed_ = true;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return false;
      }
    }
    if (lingering_) in_.clear();
    return true;
  }

  // Answers every complete request in the input, stopping at backpressure, a closing response or
  // an answer that is awaited.
  void process() {
    while (!awaiting_ && !closeAfterFlush_ && out_.size() - outOff_ < kMaxPendingOutput) {
      bool wasStarted = parser_.started();
      auto state = parser_.parse(std::string_view(in_).substr(inOff_));
      if (!wasStarted && parser_.started()) armTimer();  // the slow-request clock starts now
      if (state == RequestParser::State::kNeedMore) {
        if (parser_.headComplete() && parser_.request().expectContinue && !sentContinue_ &&
            !peerClosed_) {
          queue("HTTP/1.1 100 Continue\r\n\r\n");
          sentContinue_ = true;
        }
        return;
      }
      if (state == RequestParser::State::kError) {
        ++server_.stats_.badRequests;
        queue(serializeResponse(
            HttpResponse::text(parser_.errorStatus(), parser_.errorText() + "\n"), false, true));
        closeAfterFlush_ = true;
        return;
      }
      HttpRequest& request = parser_.request();
      ++server_.stats_.requests;
      pendingHead_ = request.method == "HEAD";
      pendingClose_ = !request.keepAlive;
      awaiting_ = true;
      call(request, ++seq_);  // answered already, or awaiting_ stays set
      inOff_ += parser_.consumed();
      parser_.reset();
      sentContinue_ = false;
      if (inOff_ == in_.size()) {
        in_.clear();
        inOff_ = 0;
      } else if (inOff_ > kReadChunk) {
        in_.erase(0, inOff_);
        inOff_ = 0;
      }
      armTimer();  // idle clock, the next pipelined request's clock, or the answer's deadline
    }
  }

  void call(const HttpRequest& request, uint64_t seq) {
    // The respond callback may outlive this connection and the server: it finds both by id
    // through a token that expires with the server.
    std::weak_ptr<int> alive = server_.alive_;
    HttpServer* server = &server_;
    uint64_t id = id_;
    inHandler_ = true;
    try {
      server_.handler_(request, [alive, server, id, seq](const HttpResponse& response) {
        if (alive.expired()) return;
        server->deliver(id, seq, response);
      });
    } catch (const std::exception& e) {
      spdlog::error("control: handler for {} {} threw: {}", request.method, request.path, e.what());
      if (awaiting_ && seq == seq_) answer(seq, HttpResponse::text(500, "internal error\n"));
    }
    inHandler_ = false;
  }

  void queue(std::string_view data) {
    if (outOff_ == out_.size()) {
      out_.clear();
      outOff_ = 0;
    }
    out_.append(data);
  }

  // Writes what the socket takes. Returns false on a write error.
  bool flush() {
    while (outOff_ < out_.size()) {
      ssize_t n = ::send(fd_, out_.data() + outOff_, out_.size() - outOff_, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
      outOff_ += static_cast<size_t>(n);
    }
    out_.clear();
    outOff_ = 0;
    return true;
  }

  // After a round of work: writes output, closes when done, sets epoll interest. Returns false
  // when the connection must be destroyed.
  bool finish() {
    if (!flush()) return false;
    bool drained = outOff_ == out_.size();
    // Nothing more can arrive and all is answered. A client that half-closed after its request
    // still gets an awaited answer.
    if (drained && peerClosed_ && !awaiting_) return false;
    if (drained && closeAfterFlush_ && !lingering_) {
      // Half-close and drain what the client still sends, so the response is not lost to a
      // reset; the linger timer bounds it.
      ::shutdown(fd_, SHUT_WR);
      lingering_ = true;
      in_.clear();
      inOff_ = 0;
      armTimer();
    }
    uint32_t want = 0;
    if (!drained) want |= EPOLLOUT;
    // Stop reading while output backs up (a client that pipelines but does not read), while
    // more than a whole request waits behind an awaited answer, or once the peer has finished
    // sending.
    const HttpLimits& l = server_.limits_;
    bool inputFull = awaiting_ && in_.size() - inOff_ >= l.maxHeaderBytes + l.maxBodyBytes;
    if (!peerClosed_ && !inputFull && (lingering_ || out_.size() - outOff_ < kMaxPendingOutput)) {
      want |= EPOLLIN;
    }
    if (want != events_) {
      events_ = want;
      if (!server_.loop_.modify(fd_, events_, this)) return false;
    }
    return true;
  }

  void armTimer() {
    const HttpLimits& l = server_.limits_;
    uint64_t now = server_.loop_.nowMs();
    uint32_t delay = lingering_                        ? kLingerMs
                     : parser_.started() && !awaiting_ ? l.requestTimeoutMs
                                                       : l.idleTimeoutMs;
    deadlineMs_ = now + delay;
    server_.loop_.timers().cancel(timer_);
    timer_ = server_.loop_.timers().schedule(delay, {&HttpServer::onTimer, &server_, id_});
  }

  HttpServer& server_;
  int fd_;
  uint64_t id_;
  RequestParser parser_;
  std::string in_;
  size_t inOff_ = 0;
  std::string out_;
  size_t outOff_ = 0;
  uint32_t events_ = 0;
  bool peerClosed_ = false;
  bool closeAfterFlush_ = false;
  bool lingering_ = false;
  bool sentContinue_ = false;
  bool awaiting_ = false;   // the handler has the current request and has not answered yet
  bool inHandler_ = false;  // inside the handler call: an answer only queues
  bool pendingHead_ = false;
  bool pendingClose_ = false;
  uint64_t seq_ = 0;  // number of the last request handed to the handler
  TimerId timer_ = 0;
  uint64_t deadlineMs_ = 0;
};

HttpServer::HttpServer(EventLoop& loop, const HttpLimits& limits, AsyncHttpHandler handler)
    : loop_(loop), limits_(limits), handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
  connections_.clear();
  if (listener_) loop_.remove(listener_->fd());
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(EventLoop& loop, const SocketAddress& address,
                                                      const HttpLimits& limits,
                                                      HttpHandler handler) {
  // An exception from handler escapes the wrapper before respond ran: answered with 500.
  return startAsync(loop, address, limits,
                    [handler = std::move(handler)](
                        const HttpRequest& r, const HttpRespond& respond) { respond(handler(r)); });
}

Result<std::unique_ptr<HttpServer>> HttpServer::startAsync(EventLoop& loop,
                                                           const SocketAddress& address,
                                                           const HttpLimits& limits,
                                                           AsyncHttpHandler handler) {
  if (!address.valid()) return Result<std::unique_ptr<HttpServer>>::error("no listen address");
  int fd =
      ::socket(address.isV6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Result<std::unique_ptr<HttpServer>>::error(
        std::string("control: cannot open a socket: ") + std::strerror(errno));
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (address.isV6()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  SocketAddress bound = address;
  if (::bind(fd, bound.sockaddr(), bound.length()) != 0 || ::listen(fd, 64) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return Result<std::unique_ptr<HttpServer>>::error("control: cannot listen on " +
                                                      address.toString() + ": " + why);
  }
  socklen_t len = sizeof(sockaddr_storage);
  getsockname(fd, bound.mutableSockaddr(), &len);
  bound.setLength(len);

  std::unique_ptr<HttpServer> server(new HttpServer(loop, limits, std::move(handler)));
  server->address_ = bound;
  server->listener_ = std::make_unique<Listener>(*server, fd);
  if (!loop.add(fd, EPOLLIN, server->listener_.get())) {
    return Result<std::unique_ptr<HttpServer>>::error("control: cannot watch the listening socket");
  }
  return server;
}

void HttpServer::accept() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    int c = ::accept4(listener_->fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) return;
    if (connections_.size() >= limits_.maxConnections) {
      ++stats_.rejected;
      close(c);
      continue;
    }
    // Responses leave in one write; Nagle would only hold back the next pipelined one.
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ++stats_.accepted;
    uint64_t id = nextId_++;
    auto conn = std::make_unique<Connection>(*this, c, id);
    Connection* raw = conn.get();
    connections_.emplace(id, std::move(conn));
    if (!raw->start()) destroy(id);
  }
}

void HttpServer::destroy(uint64_t id) { connections_.erase(id); }

void HttpServer::deliver(uint64_t id, uint64_t seq, const HttpResponse& response) {
  auto it = connections_.find(id);
  if (it == connections_.end()) {
    ++stats_.droppedReplies;
    return;
  }
  it->second->answer(seq, response);
}

void HttpServer::onTimer(void* ctx, uint64_t id) {
  auto* server = static_cast<HttpServer*>(ctx);
  auto it = server->connections_.find(id);
  if (it != server->connections_.end()) it->second->onTimer();
}

}  // namespace tandem::control
