// Transports: UDP with batched recvmmsg/sendmmsg and TCP with Content-Length framing, over
// IPv4 and IPv6. The layer hands whole SIP messages up and takes whole messages down; it knows
// nothing of SIP beyond framing. Everything runs on one EventLoop thread (not thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/event_loop.h"
#include "core/result.h"

namespace tandem::transport {

struct Inbound {
  Transport transport = Transport::kUdp;
  SocketAddress source;
  // The listener the message arrived on (index into TransportLayer::listeners()).
  int listener = 0;
  // The TCP connection it arrived on; 0 for UDP.
  uint64_t connection = 0;
  // Valid only for the duration of Receiver::onMessage: copy what must outlive it.
  std::string_view data;
};

class Receiver {
 public:
  virtual ~Receiver() = default;
  virtual void onMessage(const Inbound& in) = 0;
  // A datagram or stream that could not be framed (counted by the layer too).
  virtual void onFramingError(const Inbound& in, std::string_view reason) {
    (void)in;
    (void)reason;
  }
};

struct Limits {
  size_t maxHeaderBytes = 16 * 1024;
  size_t maxBodyBytes = 64 * 1024;
  uint32_t tcpIdleTimeoutMs = 120'000;  // a connection with no traffic this long is closed
  size_t tcpMaxConnections = 10'000;
  size_t tcpMaxPendingWrite = 4 * 1024 * 1024;  // per connection; beyond it the link is cut
  int udpBatch = 32;                            // datagrams per recvmmsg/sendmmsg call
};

struct Stats {
  uint64_t rxMessages = 0;
  uint64_t txMessages = 0;
  uint64_t rxBytes = 0;
  uint64_t txBytes = 0;
  uint64_t sendErrors = 0;
  uint64_t framingErrors = 0;
  uint64_t tcpAccepted = 0;
  uint64_t tcpConnected = 0;
  uint64_t tcpClosed = 0;
  uint64_t tcpIdleClosed = 0;
  uint64_t recvSyscalls = 0;
  uint64_t sendSyscalls = 0;
};

class TransportLayer {
 public:
  // REQUIRES: loop and receiver outlive the layer.
  TransportLayer(EventLoop& loop, Receiver& receiver, Limits limits = {});
  ~TransportLayer();
  TransportLayer(const TransportLayer&) = delete;
  TransportLayer& operator=(const TransportLayer&) = delete;

  // Binds a listener (port 0 picks a free port; listeners() then shows the real one).
  Status listen(const ListenSpec& spec);
  const std::vector<ListenSpec>& listeners() const { return listeners_; }

  // Queues one message. UDP datagrams leave in batches at the end of the loop round (or when
  // the batch is full). TCP: over `connection` when it is still open, else over an open
  // connection to dst, else a new connection (the message waits for the connect).
  // Returns false when it cannot be sent at all (no listener of that transport and family).
  bool send(Transport transport, const SocketAddress& dst, std::string_view data,
            uint64_t connection = 0);
  // Sends every queued datagram now.
  void flush();

  // A listener usable to reach dst with this transport (same family), or -1.
  int listenerFor(Transport transport, const SocketAddress& dst) const;

  const Stats& stats() const { return stats_; }
  size_t openConnections() const;

 private:
  class UdpSocket;
  class TcpListener;
  class TcpConnection;
  friend class UdpSocket;
  friend class TcpListener;
  friend class TcpConnection;

  TcpConnection* findConnection(uint64_t id) const;
  TcpConnection* findConnectionTo(const SocketAddress& dst) const;
  void adoptConnection(std::unique_ptr<TcpConnection> c);
  void closeConnection(TcpConnection* c);
  void reapClosed();

  EventLoop& loop_;
  Receiver& receiver_;
  Limits limits_;
  Stats stats_;
  std::vector<ListenSpec> listeners_;
  std::vector<std::unique_ptr<UdpSocket>> udp_;          // indexed like listeners_ (null: tcp)
  std::vector<std::unique_ptr<TcpListener>> tcpListen_;  // indexed like listeners_ (null: udp)
  struct ConnTable;
  std::unique_ptr<ConnTable> conns_;
  uint64_t nextConnId_ = 1;
};

}  // namespace tandem::transport
