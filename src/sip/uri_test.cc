// URI and name-addr tests: parsing, parameter lookup, RFC 3261 §19.1.4 comparison.
#include "sip/uri.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::sip {
namespace {

Uri uri(std::string_view text) {
  Uri u;
  EXPECT_TRUE(parseUri(text, &u)) << text;
  return u;
}

bool equal(std::string_view a, std::string_view b) { return uriEquals(uri(a), uri(b)); }

// ---- parsing ----------------------------------------------------------------------------------

TEST(Uri, parsesFullSipUri) {
  Uri u = uri("sip:alice:secret@atlanta.example.com:5061;transport=tcp;lr?subject=hi&x=1");
  EXPECT_EQ(u.scheme, UriScheme::kSip);
  EXPECT_EQ(u.schemeText, "sip");
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.host, "atlanta.example.com");
  EXPECT_TRUE(u.hasPort);
  EXPECT_EQ(u.port, 5061);
  EXPECT_EQ(u.param("transport"), "tcp");
  EXPECT_EQ(u.param("TRANSPORT"), "tcp");
  EXPECT_TRUE(u.hasParam("lr"));
  EXPECT_EQ(u.param("lr"), "");
  EXPECT_FALSE(u.hasParam("maddr"));
  EXPECT_EQ(u.headers, "subject=hi&x=1");
  EXPECT_TRUE(u.isSip());
}

TEST(Uri, parsesHostOnlyAndSips) {
  Uri u = uri("SIPS:proxy.example.com");
  EXPECT_EQ(u.scheme, UriScheme::kSips);
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.host, "proxy.example.com");
  EXPECT_FALSE(u.hasPort);
}

TEST(Uri, parsesIpv6Reference) {
  Uri u = uri("sip:bob@[2001:db8::10]:5070;maddr=[2001:db8::1]");
  EXPECT_EQ(u.host, "[2001:db8::10]");
  EXPECT_EQ(u.port, 5070);
  EXPECT_EQ(u.param("maddr"), "[2001:db8::1]");
}

TEST(Uri, userMayHoldSemicolonsAndEscapes) {
  Uri u = uri("sip:user;par=u%40example.net@example.com");
  EXPECT_EQ(u.user, "user;par=u%40example.net");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_FALSE(u.hasParam("par"));
}

TEST(Uri, dialStringWithHashIsAccepted) {
  EXPECT_EQ(uri("sip:*67#123@example.com").user, "*67#123");
}

TEST(Uri, parsesTel) {
  Uri u = uri("tel:+1-201-555-0123;ext=42");
  EXPECT_EQ(u.scheme, UriScheme::kTel);
  EXPECT_EQ(u.user, "+1-201-555-0123");
  EXPECT_EQ(u.param("ext"), "42");
  EXPECT_EQ(u.host, "");
}

TEST(Uri, keepsUnknownSchemesOpaque) {
  Uri u = uri("urn:service:sos");
  EXPECT_EQ(u.scheme, UriScheme::kOther);
  EXPECT_EQ(u.schemeText, "urn");
  EXPECT_EQ(u.opaque, "service:sos");
}

TEST(Uri, optionalOverload) {
  EXPECT_TRUE(parseUri("sip:a@b").has_value());
  EXPECT_FALSE(parseUri("nope").has_value());
}

TEST(UriError, empty) { EXPECT_FALSE(parseUri("").has_value()); }
TEST(UriError, noScheme) { EXPECT_FALSE(parseUri("alice@example.com").has_value()); }
TEST(UriError, schemeStartsWithDigit) { EXPECT_FALSE(parseUri("9ip:a@b").has_value()); }
TEST(UriError, angleBrackets) { EXPECT_FALSE(parseUri("<sip:a@b>").has_value()); }
TEST(UriError, missingHost) { EXPECT_FALSE(parseUri("sip:alice@").has_value()); }
TEST(UriError, emptyUser) { EXPECT_FALSE(parseUri("sip:@host").has_value()); }
TEST(UriError, portNotNumeric) { EXPECT_FALSE(parseUri("sip:a@b:50x").has_value()); }
TEST(UriError, portTooLarge) { EXPECT_FALSE(parseUri("sip:a@b:65536").has_value()); }
TEST(UriError, badEscape) { EXPECT_FALSE(parseUri("sip:a%4@b").has_value()); }
TEST(UriError, spaceInUser) { EXPECT_FALSE(parseUri("sip:a b@c").has_value()); }
TEST(UriError, emptyParameter) { EXPECT_FALSE(parseUri("sip:a@b;;lr").has_value()); }
TEST(UriError, emptyParameterValue) { EXPECT_FALSE(parseUri("sip:a@b;transport=").has_value()); }
TEST(UriError, unterminatedIpv6) { EXPECT_FALSE(parseUri("sip:a@[2001:db8::1").has_value()); }
TEST(UriError, headerWithoutValue) { EXPECT_FALSE(parseUri("sip:a@b?subject").has_value()); }
TEST(UriError, telWithoutNumber) { EXPECT_FALSE(parseUri("tel:;ext=1").has_value()); }
TEST(UriError, telWithLetters) { EXPECT_FALSE(parseUri("tel:+1-zz").has_value()); }
TEST(UriError, otherSchemeEmpty) { EXPECT_FALSE(parseUri("urn:").has_value()); }
TEST(UriError, otherSchemeWithSpace) { EXPECT_FALSE(parseUri("urn:a b").has_value()); }

// ---- parameter lists --------------------------------------------------------------------------

TEST(Params, iteratesHeaderStyleParameters) {
  Params ps(" ; tag = 1918181833n ;   lr ; q=0.5;x=\"a;b\"");
  std::vector<std::pair<std::string, std::string>> got;
  for (const Params::Param& p : ps) got.emplace_back(p.name, p.value);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"tag", "1918181833n"}));
  EXPECT_EQ(got[1].first, "lr");
  EXPECT_EQ(got[2].second, "0.5");
  EXPECT_EQ(got[3].second, "\"a;b\"");
  EXPECT_EQ(ps.get("TAG"), "1918181833n");
  EXPECT_FALSE(ps.get("none").has_value());
}

TEST(Params, emptyListHasNoParameters) {
  EXPECT_TRUE(Params().empty());
  EXPECT_TRUE(Params(";").empty());
}

// ---- comparison, RFC 3261 §19.1.4 examples ----------------------------------------------------

TEST(UriEquals, escapedUserAndHostCase) {
  EXPECT_TRUE(
      equal("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
}

TEST(UriEquals, parametersInOnlyOneSideAreIgnored) {
  EXPECT_TRUE(equal("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  EXPECT_TRUE(equal("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5"));
  EXPECT_FALSE(equal("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
}

TEST(UriEquals, parameterOrderDoesNotMatter) {
  EXPECT_TRUE(equal("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                    "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
}

TEST(UriEquals, headerOrderDoesNotMatter) {
  EXPECT_TRUE(equal("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                    "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
}

TEST(UriEquals, userIsCaseSensitive) {
  EXPECT_FALSE(equal("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
}

TEST(UriEquals, explicitPortNeverMatchesAbsentOne) {
  EXPECT_FALSE(equal("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
}

TEST(UriEquals, transportMustMatchWhenOnOneSide) {
  EXPECT_FALSE(equal("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  EXPECT_FALSE(equal("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
}

TEST(UriEquals, headersMustMatch) {
  EXPECT_FALSE(equal("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
}

TEST(UriEquals, hostNameIsNotItsAddress) {
  EXPECT_FALSE(equal("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
}

TEST(UriEquals, sipNeverEqualsSips) {
  EXPECT_FALSE(equal("sip:bob@biloxi.com", "sips:bob@biloxi.com"));
}

TEST(UriEquals, escapedReservedCharacterIsData) {
  EXPECT_FALSE(equal("sip:a%3Bb@x", "sip:a;b@x"));
  EXPECT_TRUE(equal("sip:a%3bb@x", "sip:a%3Bb@x"));
}

TEST(UriEquals, escapedParameterNames) {
  EXPECT_TRUE(equal("sip:caller@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
                    "sip:caller@host5.example.net;lr;name=value%25%34%31"));
  EXPECT_FALSE(equal("sip:x@y;%74ransport=tcp", "sip:x@y"));
}

TEST(UriEquals, passwordsCompare) {
  EXPECT_FALSE(equal("sip:a:x@b", "sip:a:y@b"));
  EXPECT_FALSE(equal("sip:a:x@b", "sip:a@b"));
}

TEST(UriEquals, telIgnoresVisualSeparators) {
  EXPECT_TRUE(equal("tel:+1-201-555-0123", "tel:+1.201.555.0123"));
  EXPECT_FALSE(equal("tel:+1-201-555-0123", "tel:+1-201-555-0124"));
  EXPECT_FALSE(equal("tel:+1-201-555-0123;ext=1", "tel:+1-201-555-0123"));
}

TEST(UriEquals, otherSchemes) {
  EXPECT_TRUE(equal("URN:service:sos", "urn:service:sos"));
  EXPECT_FALSE(equal("urn:service:sos", "urn:service:SOS"));
}

// ---- helpers ----------------------------------------------------------------------------------

TEST(UriHelpers, unescape) {
  std::string out;
  appendUnescaped("I%20have%20spaces%2", out);
  EXPECT_EQ(out, "I have spaces%2");
}

TEST(UriHelpers, unquote) {
  std::string out;
  appendUnquoted(R"(J Rosenberg \\\")", out);
  EXPECT_EQ(out, R"(J Rosenberg \")");
}

// ---- name-addr --------------------------------------------------------------------------------

TEST(NameAddr, quotedDisplayName) {
  NameAddr na;
  ASSERT_TRUE(parseNameAddr("\"Bob \\\"B\\\"\" <sip:bob@example.com>;tag=a6c85cf", &na));
  EXPECT_TRUE(na.quotedDisplayName);
  EXPECT_EQ(na.displayName, "Bob \\\"B\\\"");
  EXPECT_TRUE(na.angleBrackets);
  EXPECT_EQ(na.uri.user, "bob");
  EXPECT_EQ(na.tag(), "a6c85cf");
}

TEST(NameAddr, tokenDisplayName) {
  NameAddr na;
  ASSERT_TRUE(parseNameAddr("Bob  Smith <sip:bob@example.com;transport=tcp>;q=0.7", &na));
  EXPECT_EQ(na.displayName, "Bob  Smith");
  EXPECT_EQ(na.uri.param("transport"), "tcp");
  EXPECT_EQ(na.params.get("q"), "0.7");
  EXPECT_EQ(na.text, "Bob  Smith <sip:bob@example.com;transport=tcp>;q=0.7");
}

TEST(NameAddr, addrSpecParametersBelongToTheHeader) {
  NameAddr na;
  ASSERT_TRUE(parseNameAddr("sip:bob@example.com;tag=xyz;user=phone", &na));
  EXPECT_FALSE(na.angleBrackets);
  EXPECT_EQ(na.uri.text, "sip:bob@example.com");
  EXPECT_FALSE(na.uri.hasParam("user"));
  EXPECT_EQ(na.tag(), "xyz");
  EXPECT_EQ(na.params.get("user"), "phone");
}

TEST(NameAddr, quotedParameterValue) {
  NameAddr na;
  ASSERT_TRUE(parseNameAddr("<sip:a@b>;+sip.instance=\"<urn:uuid:1;2>\"", &na));
  EXPECT_EQ(na.params.get("+sip.instance"), "\"<urn:uuid:1;2>\"");
}

TEST(NameAddrError, secondValue) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("<sip:a@b>, <sip:c@d>", &na));
}
TEST(NameAddrError, unterminatedQuote) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("\"Bob <sip:bob@example.com>", &na));
}
TEST(NameAddrError, quotedNameWithoutAngles) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("\"Bob\" sip:bob@example.com", &na));
}
TEST(NameAddrError, missingClosingAngle) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("<sip:bob@example.com", &na));
}
TEST(NameAddrError, spaceInsideAngles) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("< sip:bob@example.com>", &na));
}
TEST(NameAddrError, commaInDisplayName) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("Bell, Alexander <sip:a@b>", &na));
}
TEST(NameAddrError, headersInAddrSpec) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("sip:u@x?Route=%3Csip:y%3E", &na));
}
TEST(NameAddrError, emptyParameterName) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("<sip:a@b>;;", &na));
}
TEST(NameAddrError, emptyParameterValue) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("<sip:a@b>;tag=", &na));
}
TEST(NameAddrError, empty) {
  NameAddr na;
  EXPECT_FALSE(parseNameAddr("   ", &na));
}

}  // namespace
}  // namespace tandem::sip
