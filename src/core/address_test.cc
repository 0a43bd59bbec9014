#include "core/address.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(SocketAddress, ParsesIpv4WithPort) {
  auto a = SocketAddress::parse("127.0.0.1:5071");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port(), 5071);
  EXPECT_EQ(a->toString(), "127.0.0.1:5071");
  EXPECT_FALSE(a->isV6());
}

TEST(SocketAddress, ParsesBracketedIpv6) {
  auto a = SocketAddress::parse("[::1]:5080");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->isV6());
  EXPECT_EQ(a->port(), 5080);
  EXPECT_EQ(a->toString(), "[::1]:5080");
  EXPECT_EQ(a->uriHost(), "[::1]");
}

TEST(SocketAddress, DefaultsPortTo5060) {
  auto a = SocketAddress::parse("10.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port(), 5060);
}

TEST(SocketAddress, RejectsHostnames) {
  auto a = SocketAddress::parse("example.com:5060");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.message(), "invalid address \"example.com\" (numeric IPv4 or IPv6 expected)");
}

TEST(SocketAddress, RejectsBadPort) {
  auto a = SocketAddress::parse("127.0.0.1:70000");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.message(), "invalid port \"70000\"");
}

TEST(SocketAddress, EqualityAndHashFollowHostAndPort) {
  auto a = *SocketAddress::parse("127.0.0.1:1");
  auto b = *SocketAddress::parse("127.0.0.1:1");
  auto c = *SocketAddress::parse("127.0.0.1:2");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(a.sameHost(c));
}

TEST(SocketAddress, RecognisesBroadcastAndMulticast) {
  EXPECT_TRUE(SocketAddress::parse("255.255.255.255:5060")->isBroadcastOrMulticast());
  EXPECT_TRUE(SocketAddress::parse("239.1.2.3:5060")->isBroadcastOrMulticast());
  EXPECT_TRUE(SocketAddress::parse("[ff02::1]:5060")->isBroadcastOrMulticast());
  EXPECT_FALSE(SocketAddress::parse("192.0.2.1:5060")->isBroadcastOrMulticast());
  EXPECT_FALSE(SocketAddress::parse("[::1]:5060")->isBroadcastOrMulticast());
}

TEST(Cidr, MatchesPrefix) {
  auto c = *Cidr::parse("10.1.0.0/16");
  EXPECT_TRUE(c.contains(*SocketAddress::parse("10.1.200.3:1")));
  EXPECT_FALSE(c.contains(*SocketAddress::parse("10.2.0.1:1")));
  EXPECT_FALSE(c.contains(*SocketAddress::parse("[::1]:1")));
  auto v6 = *Cidr::parse("::1");
  EXPECT_TRUE(v6.contains(*SocketAddress::parse("[::1]:9")));
  auto odd = *Cidr::parse("192.168.0.0/23");
  EXPECT_TRUE(odd.contains(*SocketAddress::parse("192.168.1.7:1")));
  EXPECT_FALSE(odd.contains(*SocketAddress::parse("192.168.2.7:1")));
}

TEST(Cidr, RejectsLongPrefix) {
  auto c = Cidr::parse("10.0.0.0/33");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(), "prefix length 33 too long in \"10.0.0.0/33\"");
}

TEST(ListenSpec, ParsesTransportAndAddress) {
  auto s = ListenSpec::parse("tcp:[::1]:5062");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->transport, Transport::kTcp);
  EXPECT_EQ(s->toString(), "tcp:[::1]:5062");
}

TEST(ListenSpec, RejectsUnknownTransport) {
  auto s = ListenSpec::parse("sctp:127.0.0.1:5060");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "unknown transport \"sctp\" (udp or tcp)");
}

}  // namespace
}  // namespace tandem
