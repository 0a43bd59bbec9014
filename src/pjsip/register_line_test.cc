// Tests for the "register =>" line parser: every form sip.conf documents, and each error text.
#include <gtest/gtest.h>

#include "pjsip/converter.h"

namespace tandem::pjsip {
namespace {

RegisterLine parseOk(std::string_view text) {
  auto r = parseRegisterLine(text);
  EXPECT_TRUE(r.isOk()) << r.message();
  return r.isOk() ? std::move(r).value() : RegisterLine{};
}

TEST(RegisterLineTest, UserSecretHost) {
  RegisterLine r = parseOk("1234:password@mysipprovider.com");
  EXPECT_EQ(r.user, "1234");
  EXPECT_EQ(r.secret, "password");
  EXPECT_EQ(r.host, "mysipprovider.com");
  EXPECT_TRUE(r.extension.empty());
  EXPECT_EQ(r.expiry, -1);
}

TEST(RegisterLineTest, ExtensionAfterSlash) {
  RegisterLine r = parseOk("2345:password@sip_proxy/1234");
  EXPECT_EQ(r.host, "sip_proxy");
  EXPECT_EQ(r.extension, "1234");
}

TEST(RegisterLineTest, DomainPortInTheUserPartWithEmptySecretAndAuthuser) {
  RegisterLine r = parseOk("3456@mydomain:5082::@mysipprovider.com");
  EXPECT_EQ(r.user, "3456");
  EXPECT_EQ(r.domain, "mydomain");
  EXPECT_EQ(r.domainPort, "5082");
  EXPECT_TRUE(r.secret.empty());
  EXPECT_TRUE(r.authUser.empty());
  EXPECT_EQ(r.host, "mysipprovider.com");
}

TEST(RegisterLineTest, TransportPrefix) {
  RegisterLine r = parseOk("tls://username:xxxxxx@sip-tls-proxy.example.org");
  EXPECT_EQ(r.transport, "tls");
  EXPECT_EQ(r.user, "username");
  EXPECT_EQ(r.host, "sip-tls-proxy.example.org");
}

TEST(RegisterLineTest, UdpPrefixAllowsASlashInTheUser) {
  RegisterLine r = parseOk("udp://user/name:pw@host.example");
  EXPECT_EQ(r.user, "user/name");
  EXPECT_EQ(r.host, "host.example");
}

TEST(RegisterLineTest, PeerPrefixAuthuserPortExtensionAndExpiry) {
  RegisterLine r = parseOk("prov?tcp://me@corp.example:pw:authme@sip.prov.example:5070/in~600");
  EXPECT_EQ(r.peer, "prov");
  EXPECT_EQ(r.transport, "tcp");
  EXPECT_EQ(r.user, "me");
  EXPECT_EQ(r.domain, "corp.example");
  EXPECT_EQ(r.secret, "pw");
  EXPECT_EQ(r.authUser, "authme");
  EXPECT_EQ(r.host, "sip.prov.example");
  EXPECT_EQ(r.port, "5070");
  EXPECT_EQ(r.extension, "in");
  EXPECT_EQ(r.expiry, 600);
}

TEST(RegisterLineTest, Ipv6Host) {
  RegisterLine r = parseOk("me:pw@[2001:db8::1]:5060");
  EXPECT_EQ(r.host, "2001:db8::1");
  EXPECT_EQ(r.port, "5060");
}

TEST(RegisterLineTest, MissingHostIsAnError) {
  EXPECT_EQ(parseRegisterLine("1234:password").message(),
            "register line \"1234:password\": missing user@host");
}

TEST(RegisterLineTest, MissingUserIsAnError) {
  EXPECT_EQ(parseRegisterLine(":pw@host").message(),
            "register line \":pw@host\": missing user before '@'");
}

TEST(RegisterLineTest, UnknownTransportIsAnError) {
  EXPECT_EQ(parseRegisterLine("ws://u:p@h").message(),
            "register line \"ws://u:p@h\": unknown transport \"ws\" (udp, tcp or tls)");
}

TEST(RegisterLineTest, NonNumericExpiryIsAnError) {
  EXPECT_EQ(parseRegisterLine("u:p@h~soon").message(),
            "register line \"u:p@h~soon\": expiry after '~' must be a number of seconds");
}

TEST(RegisterLineTest, BadPortIsAnError) {
  EXPECT_EQ(parseRegisterLine("u:p@h:50x0").message(),
            "register line \"u:p@h:50x0\": bad port \"50x0\"");
}

TEST(RegisterLineTest, TooManyColonsIsAnError) {
  EXPECT_EQ(parseRegisterLine("a:b:c:d:e@h").message(),
            "register line \"a:b:c:d:e@h\": too many ':' in the user part");
}

}  // namespace
}  // namespace tandem::pjsip
