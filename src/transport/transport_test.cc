#include "transport/transport.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace tandem::transport {
namespace {

struct Collector : Receiver {
  std::vector<std::string> messages;
  std::vector<uint64_t> connections;
  std::vector<std::string> errors;
  void onMessage(const Inbound& in) override {
    messages.emplace_back(in.data);
    connections.push_back(in.connection);
  }
  void onFramingError(const Inbound&, std::string_view reason) override {
    errors.emplace_back(reason);
  }
};

constexpr std::string_view kOptions =
    "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK1\r\n"
    "Content-Length: 4\r\n\r\nbody";

class TransportTest : public ::testing::Test {
 protected:
  void run(int rounds = 5) {
    for (int i = 0; i < rounds; ++i) loop_.runOnce(10);
  }
  SocketAddress listen(const char* spec) {
    EXPECT_TRUE(layer_.listen(*ListenSpec::parse(spec)));
    return layer_.listeners().back().address;
  }
  int connectTo(const SocketAddress& a) {
    int fd = socket(a.isV6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(connect(fd, a.sockaddr(), a.length()), 0);
    return fd;
  }
  ManualClock clock_{0};
  EventLoop loop_{clock_};
  Collector rx_;
  Limits limits_ = [] {
    Limits l;
    l.maxHeaderBytes = 1024;
    l.tcpIdleTimeoutMs = 1000;
    return l;
  }();
  TransportLayer layer_{loop_, rx_, limits_};
};

TEST_F(TransportTest, UdpListenOnPortZeroReportsRealPort) {
  SocketAddress a = listen("udp:127.0.0.1:0");
  EXPECT_NE(a.port(), 0);
}

TEST_F(TransportTest, UdpDatagramsArriveAndLeaveInBatches) {
  SocketAddress a = listen("udp:127.0.0.1:0");
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  auto local = *SocketAddress::parse("127.0.0.1:0");
  bind(fd, local.sockaddr(), local.length());
  for (int i = 0; i < 10; ++i) sendto(fd, "hello", 5, 0, a.sockaddr(), a.length());
  run();
  ASSERT_EQ(rx_.messages.size(), 10u);
  EXPECT_LT(layer_.stats().recvSyscalls, 10u);  // several datagrams per recvmmsg
  socklen_t len = sizeof(sockaddr_storage);
  getsockname(fd, local.mutableSockaddr(), &len);
  local.setLength(len);
  for (int i = 0; i < 5; ++i) layer_.send(Transport::kUdp, local, "reply");
  layer_.flush();
  EXPECT_EQ(layer_.stats().sendSyscalls, 1u);  // five datagrams, one sendmmsg
  char buf[16];
  EXPECT_EQ(recv(fd, buf, sizeof(buf), 0), 5);
  close(fd);
}

TEST_F(TransportTest, UdpCrlfKeepaliveIsNotAMessage) {
  SocketAddress a = listen("udp:127.0.0.1:0");
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sendto(fd, "\r\n\r\n", 4, 0, a.sockaddr(), a.length());
  run();
  EXPECT_TRUE(rx_.messages.empty());
  close(fd);
}

TEST_F(TransportTest, TcpFramesTwoMessagesInOneSegmentAndOneSplitAcrossTwo) {
  SocketAddress a = listen("tcp:127.0.0.1:0");
  int fd = connectTo(a);
  std::string two = std::string(kOptions) + std::string(kOptions);
  ASSERT_EQ(write(fd, two.data(), two.size()), static_cast<ssize_t>(two.size()));
  run();
  ASSERT_EQ(rx_.messages.size(), 2u);
  EXPECT_EQ(rx_.messages[0], kOptions);
  std::string_view m = kOptions;
  ASSERT_GT(write(fd, m.data(), 30), 0);
  run();
  EXPECT_EQ(rx_.messages.size(), 2u);
  ASSERT_GT(write(fd, m.data() + 30, m.size() - 30), 0);
  run();
  ASSERT_EQ(rx_.messages.size(), 3u);
  EXPECT_EQ(rx_.messages[2], kOptions);
  EXPECT_EQ(rx_.connections[0], rx_.connections[2]);
  close(fd);
}

TEST_F(TransportTest, TcpResponseReusesTheIncomingConnection) {
  SocketAddress a = listen("tcp:127.0.0.1:0");
  int fd = connectTo(a);
  ASSERT_GT(write(fd, kOptions.data(), kOptions.size()), 0);
  run();
  ASSERT_EQ(rx_.connections.size(), 1u);
  EXPECT_TRUE(
      layer_.send(Transport::kTcp, SocketAddress(), "SIP/2.0 200 OK\r\n\r\n", rx_.connections[0]));
  char buf[64];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_EQ(layer_.stats().tcpConnected, 0u);  // no new connection was opened
  close(fd);
}

TEST_F(TransportTest, TcpOversizedHeaderClosesTheConnection) {
  SocketAddress a = listen("tcp:127.0.0.1:0");
  int fd = connectTo(a);
  std::string big = "OPTIONS sip:a SIP/2.0\r\nX: " + std::string(2000, 'a') + "\r\n";
  ASSERT_GT(write(fd, big.data(), big.size()), 0);
  run();
  EXPECT_TRUE(rx_.messages.empty());
  EXPECT_EQ(rx_.errors.size(), 1u);
  EXPECT_EQ(layer_.stats().framingErrors, 1u);
  char buf[8];
  EXPECT_EQ(recv(fd, buf, sizeof(buf), 0), 0);  // closed by the edge
  close(fd);
}

TEST_F(TransportTest, TcpIdleConnectionIsClosed) {
  SocketAddress a = listen("tcp:127.0.0.1:0");
  int fd = connectTo(a);
  run();
  EXPECT_EQ(layer_.openConnections(), 1u);
  clock_.advance(1100);
  run();
  clock_.advance(1100);
  run();
  EXPECT_EQ(layer_.openConnections(), 0u);
  EXPECT_EQ(layer_.stats().tcpIdleClosed, 1u);
  close(fd);
}

TEST_F(TransportTest, Ipv6UdpWorks) {
  SocketAddress a = listen("udp:[::1]:0");
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  sendto(fd, "x", 1, 0, a.sockaddr(), a.length());
  run();
  ASSERT_EQ(rx_.messages.size(), 1u);
  EXPECT_EQ(layer_.listenerFor(Transport::kUdp, *SocketAddress::parse("[::1]:5")), 0);
  EXPECT_EQ(layer_.listenerFor(Transport::kUdp, *SocketAddress::parse("127.0.0.1:5")), -1);
  close(fd);
}

}  // namespace
}  // namespace tandem::transport
