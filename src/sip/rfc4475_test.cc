// RFC 4475 torture messages, one test each, asserting what the edge does with them: parse() then
// checkRequest() for requests; responses are either parsed or dropped.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "sip/auth.h"
#include "sip/message.h"
#include "sip/sanity.h"
#include "sip/serializer.h"

namespace tandem::sip {
namespace {

std::string load(const std::string& name) {
  std::ifstream f(std::string(TANDEM_SOURCE_DIR) + "/src/sip/testdata/rfc4475/" + name + ".dat",
                  std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A torture message parsed once per test; the buffer lives as long as the message.
struct Torture {
  explicit Torture(const std::string& name) : data(load(name)) {
    EXPECT_FALSE(data.empty()) << name;
    msg.parse(data);
    if (msg.isRequest()) outcome = checkRequest(msg);
  }
  std::string data;
  Message msg;
  SanityOutcome outcome;
};

std::string unquoted(std::string_view s) {
  std::string out;
  appendUnquoted(s, out);
  return out;
}

std::string unescaped(std::string_view s) {
  std::string out;
  appendUnescaped(s, out);
  return out;
}

void expectAccepted(const Torture& t) {
  EXPECT_TRUE(t.msg.ok()) << t.msg.result().reason;
  EXPECT_TRUE(t.outcome.ok()) << t.outcome.reason;
}

void expectRejected(const Torture& t, int status, std::string_view reason, bool respondable) {
  EXPECT_EQ(t.outcome.status, status);
  EXPECT_EQ(t.outcome.reason, reason);
  EXPECT_EQ(t.outcome.respondable, respondable);
}

void expectDroppedResponse(const Torture& t, std::string_view reason) {
  EXPECT_TRUE(t.msg.isResponse());
  EXPECT_FALSE(t.msg.ok());
  EXPECT_TRUE(t.msg.result().drop);
  EXPECT_EQ(t.msg.result().reason, reason);
}

// ---- 3.1.1 valid messages ---------------------------------------------------------------------

TEST(Rfc4475, wsinv) {
  Torture t("wsinv");
  expectAccepted(t);
  const Message& m = t.msg;
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.requestUriText(), "sip:vivekg@chair-dnrc.example.com;unknownparam");
  EXPECT_TRUE(m.requestUri().hasParam("unknownparam"));
  ASSERT_NE(m.to(), nullptr);
  EXPECT_EQ(m.to()->uri.text, "sip:vivekg@chair-dnrc.example.com");
  EXPECT_EQ(m.to()->tag(), "1918181833n");
  ASSERT_NE(m.from(), nullptr);
  EXPECT_TRUE(m.from()->quotedDisplayName);
  EXPECT_EQ(m.from()->displayName, R"(J Rosenberg \\\")");
  EXPECT_EQ(unquoted(m.from()->displayName), R"(J Rosenberg \")");
  EXPECT_EQ(m.from()->uri.text, "sip:jdrosen@example.com");
  EXPECT_EQ(m.from()->tag(), "98asjd8");
  EXPECT_EQ(m.maxForwards(), 68u);
  EXPECT_EQ(m.callId(), "wsinv.ndaksdj@192.0.2.1");
  EXPECT_EQ(m.contentLength(), 150u);
  EXPECT_EQ(m.body().size(), 150u);
  ASSERT_NE(m.cseq(), nullptr);
  EXPECT_EQ(m.cseq()->number, 9u);
  EXPECT_EQ(m.cseq()->method, Method::kInvite);
  ASSERT_EQ(m.vias().size(), 3u);
  EXPECT_EQ(m.vias()[0].protocolName, "SIP");
  EXPECT_EQ(m.vias()[0].protocolVersion, "2.0");
  EXPECT_EQ(m.vias()[0].transport, "UDP");
  EXPECT_EQ(m.vias()[0].host, "192.0.2.2");
  EXPECT_EQ(m.vias()[0].branch, "390skdjuw");
  EXPECT_FALSE(m.vias()[0].isRfc3261Branch());
  EXPECT_EQ(m.vias()[1].transport, "TCP");
  EXPECT_EQ(m.vias()[1].host, "spindle.example.com");
  EXPECT_EQ(m.vias()[1].branch, "z9hG4bK9ikj8");
  EXPECT_EQ(m.vias()[2].host, "192.168.255.111");
  EXPECT_EQ(m.vias()[2].branch, "z9hG4bK30239");
  EXPECT_TRUE(m.vias()[2].isRfc3261Branch());
  ASSERT_NE(m.header("Subject"), nullptr);  // "s :" with an empty value
  EXPECT_EQ(m.header("Subject")->value, "");
  EXPECT_EQ(m.headerValue("NewFangledHeader"), "newfangled value\r\n continued newfangled value");
  EXPECT_EQ(m.headerValue("UnknownHeaderWithUnusualValue"), ";;,,;;,;");
  EXPECT_EQ(m.contentType(), "application/sdp");
  ASSERT_EQ(m.routes().size(), 1u);
  EXPECT_TRUE(m.routes()[0].uri.hasParam("lr"));
  EXPECT_EQ(m.routes()[0].uri.param("unknownwith"), "value");
  EXPECT_TRUE(m.routes()[0].uri.hasParam("unknown-no-value"));
  ASSERT_EQ(m.contacts().size(), 1u);
  EXPECT_EQ(m.contacts()[0].displayName, R"(Quoted string \"\")");
  EXPECT_EQ(m.contacts()[0].uri.text, "sip:jdrosen@example.com");
  EXPECT_EQ(m.contacts()[0].params.get("newparam"), "newvalue");
  EXPECT_TRUE(m.contacts()[0].params.has("secondparam"));
  EXPECT_EQ(m.contacts()[0].params.get("q"), "0.33");
}

TEST(Rfc4475, intmeth) {
  Torture t("intmeth");
  expectAccepted(t);
  const Message& m = t.msg;
  EXPECT_EQ(m.method(), Method::kUnknown);
  EXPECT_EQ(m.methodToken(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m.cseq()->methodToken, m.methodToken());
  EXPECT_EQ(m.cseq()->number, 139122385u);
  EXPECT_EQ(m.requestUri().user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m.requestUri().password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m.requestUri().host, "example.com");
  EXPECT_EQ(m.callId(), R"(intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{)");
  EXPECT_EQ(m.vias()[0].branch, "z9hG4bK-.!%66*_+`'~");
  ASSERT_NE(m.to(), nullptr);
  EXPECT_EQ(m.to()->displayName, std::string_view("BEL:\\\x07 NUL:\\\0 DEL:\\\x7F", 20));
  EXPECT_EQ(m.to()->uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  ASSERT_NE(m.from(), nullptr);
  EXPECT_EQ(m.from()->displayName, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m.from()->tag(), "_token~1'+`*%!-.");
  EXPECT_TRUE(m.from()->params.has("fromParam''~+*_!.-%"));
  EXPECT_EQ(m.maxForwards(), 255u);
  EXPECT_NE(m.header("extensionHeader-!.%*+_`'~"), nullptr);
}

TEST(Rfc4475, esc01) {
  Torture t("esc01");
  expectAccepted(t);
  const Message& m = t.msg;
  EXPECT_EQ(m.requestUri().user, "sips%3Auser%40example.com");
  EXPECT_EQ(unescaped(m.requestUri().user), "sips:user@example.com");
  EXPECT_EQ(m.requestUri().host, "example.net");
  ASSERT_NE(m.to(), nullptr);
  EXPECT_TRUE(uriEquals(m.to()->uri, *parseUri("sip:user@example.com")));
  EXPECT_EQ(unescaped(m.from()->uri.user), "I have spaces");
  EXPECT_EQ(m.callId(), "esc01.239409asdfakjkn23onasd0-3234");  // compact "i:"
  EXPECT_EQ(m.contentType(), "application/sdp");                // compact "C:"
  ASSERT_EQ(m.contacts().size(), 1u);
  // The escaped Contact equals its unescaped form; %25%34%31 is "%41" as text, not "A".
  EXPECT_TRUE(uriEquals(m.contacts()[0].uri,
                        *parseUri("sip:caller@host5.example.net;lr;name=value%25%34%31")));
  EXPECT_FALSE(
      uriEquals(m.contacts()[0].uri, *parseUri("sip:caller@host5.example.net;lr;name=valueA")));
}

TEST(Rfc4475, escnull) {
  Torture t("escnull");
  expectAccepted(t);
  const Message& m = t.msg;
  EXPECT_EQ(unescaped(m.to()->uri.user), std::string("null-\0-null", 11));
  ASSERT_EQ(m.contacts().size(), 2u);
  EXPECT_EQ(m.contacts()[0].uri.user, "%00");
  EXPECT_EQ(m.contacts()[1].uri.user, "%00%00");
  EXPECT_EQ(m.contentLength(), 0u);  // "L:0"
}

TEST(Rfc4475, esc02) {
  Torture t("esc02");
  expectAccepted(t);
  const Message& m = t.msg;
  // RE%47IST%45R is a method of its own, not REGISTER.
  EXPECT_EQ(m.method(), Method::kUnknown);
  EXPECT_EQ(m.methodToken(), "RE%47IST%45R");
  EXPECT_EQ(m.to()->displayName, "%Z%45");
  EXPECT_EQ(m.from()->displayName, "%Z%45");
  EXPECT_EQ(m.vias()[0].branch, "z9hG4bK209%fzsnel234");
  // C%6Fntact is an extension header, not a third Contact.
  ASSERT_EQ(m.contacts().size(), 2u);
  EXPECT_EQ(m.contacts()[1].uri.host, "host3.example.com");
  EXPECT_EQ(m.headerValue("C%6Fntact"), "<sip:alias2@host2.example.com>");
}

TEST(Rfc4475, lwsdisp) {
  Torture t("lwsdisp");
  expectAccepted(t);
  EXPECT_EQ(t.msg.from()->displayName, "caller");
  EXPECT_EQ(t.msg.from()->uri.text, "sip:caller@example.com");
  EXPECT_EQ(t.msg.from()->tag(), "323");
}

TEST(Rfc4475, longreq) {
  Torture t("longreq");
  expectAccepted(t);
  const Message& m = t.msg;
  ASSERT_EQ(m.vias().size(), 34u);
  EXPECT_EQ(m.vias()[0].host, "sip33.example.com");
  EXPECT_EQ(m.vias()[11].host, "sip22.example.com");  // "V :  SIP/2.0/TCP ..."
  EXPECT_EQ(m.vias()[33].host, "host.example.com");
  EXPECT_EQ(m.vias()[33].received, "192.0.2.5");
  EXPECT_FALSE(m.vias()[0].isRfc3261Branch());
  EXPECT_EQ(m.to()->uri.port, 6000);
  EXPECT_TRUE(m.to()->uri.hasParam(
      "verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglon"
      "glonglonglonglongParameterNameWithNoValue"));
  EXPECT_EQ(m.from()->tag().size(), 155u);
  EXPECT_EQ(m.cseq()->number, 3882340u);
  EXPECT_EQ(m.contentLength(), 150u);  // "l: 150"
  EXPECT_EQ(m.body().size(), 150u);
  EXPECT_NE(m.header("Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLong"
                     "LongLongLong-Name"),
            nullptr);
}

TEST(Rfc4475, dblreq) {
  Torture t("dblreq");
  expectAccepted(t);
  EXPECT_EQ(t.msg.method(), Method::kRegister);
  EXPECT_EQ(t.msg.callId(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");  // "I:"
  EXPECT_EQ(t.msg.body(), "");
  // The INVITE that follows in the same datagram is not part of the message.
  EXPECT_EQ(t.msg.result().consumed, 300u);
  EXPECT_LT(t.msg.result().consumed, t.data.size());
}

TEST(Rfc4475, semiuri) {
  Torture t("semiuri");
  expectAccepted(t);
  const Uri& u = t.msg.requestUri();
  EXPECT_EQ(u.user, "user;par=u%40example.net");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_TRUE(u.params.text().empty());
  EXPECT_EQ(t.msg.values("Accept").size(), 6u);  // folded list over three lines
}

TEST(Rfc4475, transports) {
  Torture t("transports");
  expectAccepted(t);
  const auto vias = t.msg.vias();
  ASSERT_EQ(vias.size(), 5u);
  EXPECT_EQ(vias[0].transport, "UDP");
  EXPECT_EQ(vias[1].transport, "SCTP");
  EXPECT_EQ(vias[2].transport, "TLS");
  EXPECT_EQ(vias[3].transport, "UNKNOWN");
  EXPECT_EQ(vias[4].transport, "TCP");
  EXPECT_EQ(t.msg.callId(), "transports.kijh4akdnaqjkwendsasfdj");
}

TEST(Rfc4475, mpart01) {
  Torture t("mpart01");
  expectAccepted(t);
  EXPECT_EQ(t.msg.method(), Method::kMessage);
  EXPECT_EQ(t.msg.body().size(), 553u);
  EXPECT_EQ(t.msg.contentType(), "multipart/mixed;boundary=7a9cbec02ceef655");
  EXPECT_TRUE(t.msg.topVia()->hasRport);
  EXPECT_EQ(t.msg.topVia()->rport, "");
  ASSERT_EQ(t.msg.routes().size(), 1u);
  EXPECT_EQ(t.msg.routes()[0].uri.port, 5080);
}

TEST(Rfc4475, unreason) {
  Torture t("unreason");
  EXPECT_TRUE(t.msg.ok());
  EXPECT_TRUE(t.msg.isResponse());
  EXPECT_EQ(t.msg.statusCode(), 200);
  EXPECT_EQ(t.msg.reasonPhrase(),
            "= 2**3 * 5**2 \xD0\xBD\xD0\xBE \xD1\x81\xD1\x82\xD0\xBE \xD0\xB4\xD0\xB5\xD0\xB2"
            "\xD1\x8F\xD0\xBD\xD0\xBE\xD1\x81\xD1\x82\xD0\xBE \xD0\xB4\xD0\xB5\xD0\xB2\xD1\x8F"
            "\xD1\x82\xD1\x8C - \xD0\xBF\xD1\x80\xD0\xBE\xD1\x81\xD1\x82\xD0\xBE\xD0\xB5");
  EXPECT_EQ(t.msg.body().size(), 154u);
}

TEST(Rfc4475, noreason) {
  Torture t("noreason");
  EXPECT_TRUE(t.msg.ok());
  EXPECT_EQ(t.msg.statusCode(), 100);
  EXPECT_EQ(t.msg.reasonPhrase(), "");
  EXPECT_EQ(t.msg.callId(), "noreason.asndj203insdf99223ndf");
}

// ---- 3.1.2 invalid messages -------------------------------------------------------------------

TEST(Rfc4475, badinv01) {
  Torture t("badinv01");
  // The only Via is malformed, so there is nowhere to send a 400: the edge drops it.
  expectRejected(t, 400, "Bad Request - Malformed Via", false);
  EXPECT_TRUE(t.msg.result().drop);
}

TEST(Rfc4475, clerr) {
  Torture t("clerr");
  // Over UDP: answered with 400; the parser never looks past the datagram.
  expectRejected(t, 400, "Bad Request - Content-Length Too Large", true);
  EXPECT_EQ(t.msg.result().consumed, t.data.size());
}

TEST(Rfc4475, ncl) {
  Torture t("ncl");
  expectRejected(t, 400, "Bad Request - Malformed Content-Length", true);
}

TEST(Rfc4475, scalar02) {
  Torture t("scalar02");
  // CSeq comes first of the overlarge values (Max-Forwards 300, Expires 10^100 follow).
  expectRejected(t, 400, "Bad Request - CSeq Out Of Range", true);
}

TEST(Rfc4475, scalarlg) {
  Torture t("scalarlg");
  expectDroppedResponse(t, "Bad Request - CSeq Out Of Range");
}

TEST(Rfc4475, quotbal) {
  Torture t("quotbal");
  // Answerable: the To line is copied into the 400 byte for byte.
  expectRejected(t, 400, "Bad Request - Malformed To", true);
  std::string out;
  EXPECT_TRUE(buildResponse(t.msg, 400, t.outcome.reason, "x1", {}, out));
  EXPECT_NE(out.find("\r\nTo: \"Mr. J. User <sip:j.user@example.com>\r\n"), std::string::npos);
}

TEST(Rfc4475, ltgtruri) {
  Torture t("ltgtruri");
  expectRejected(t, 400, "Bad Request - Malformed Request-URI", true);
}

TEST(Rfc4475, lwsruri) {
  Torture t("lwsruri");
  expectRejected(t, 400, "Bad Request - Malformed Request-Line", true);
}

TEST(Rfc4475, lwsstart) {
  Torture t("lwsstart");
  expectRejected(t, 400, "Bad Request - Malformed Request-Line", true);
}

TEST(Rfc4475, trws) {
  Torture t("trws");
  // Liberal choice: trailing white space after SIP/2.0 is tolerated; the request is processed.
  expectAccepted(t);
  EXPECT_EQ(t.msg.version(), "SIP/2.0");
  EXPECT_EQ(t.msg.requestUriText(), "sip:remote-target@example.com");
}

TEST(Rfc4475, escruri) {
  Torture t("escruri");
  expectRejected(t, 400, "Bad Request - Headers In Request-URI", true);
}

TEST(Rfc4475, baddate) {
  Torture t("baddate");
  // Liberal choice: Date is never decoded by the proxy, so the non-GMT value is ignored and the
  // request is processed (and forwarded with Date untouched).
  expectAccepted(t);
  EXPECT_EQ(t.msg.headerValue("Date"), "Fri, 01 Jan 2010 16:00:00 EST");
}

TEST(Rfc4475, regbadct) {
  Torture t("regbadct");
  // Strict choice: the Contact URI carries headers without <>; angle brackets are not inferred.
  expectRejected(t, 400, "Bad Request - Malformed Contact", true);
}

TEST(Rfc4475, badaspec) {
  Torture t("badaspec");
  expectRejected(t, 400, "Bad Request - Malformed To", true);
}

TEST(Rfc4475, baddn) {
  Torture t("baddn");
  // The datagram also lacks the empty line after the headers; its end closes them.
  expectRejected(t, 400, "Bad Request - Malformed From", true);
}

TEST(Rfc4475, badvers) {
  Torture t("badvers");
  expectRejected(t, 505, "Version Not Supported", true);
  EXPECT_EQ(t.msg.version(), "SIP/7.0");
}

TEST(Rfc4475, mismatch01) {
  Torture t("mismatch01");
  EXPECT_TRUE(t.msg.ok());
  expectRejected(t, 400, "Bad Request - CSeq Method Mismatch", true);
}

TEST(Rfc4475, mismatch02) {
  Torture t("mismatch02");
  EXPECT_TRUE(t.msg.ok());
  EXPECT_EQ(t.msg.methodToken(), "NEWMETHOD");
  expectRejected(t, 400, "Bad Request - CSeq Method Mismatch", true);
}

TEST(Rfc4475, bigcode) {
  Torture t("bigcode");
  expectDroppedResponse(t, "Bad Request - Malformed Status-Line");
}

// ---- 3.2 transaction layer --------------------------------------------------------------------

TEST(Rfc4475, badbranch) {
  Torture t("badbranch");
  expectAccepted(t);
  EXPECT_EQ(t.msg.topVia()->branch, "z9hG4bK");
  EXPECT_FALSE(t.msg.topVia()->isRfc3261Branch());
}

// ---- 3.3 application layer --------------------------------------------------------------------

TEST(Rfc4475, insuf) {
  Torture t("insuf");
  EXPECT_TRUE(t.msg.ok());
  // Without From, To and Call-ID no response can be built: the edge drops it.
  expectRejected(t, 400, "Bad Request - Missing From", false);
  std::string out;
  EXPECT_FALSE(buildResponse(t.msg, 400, t.outcome.reason, "", {}, out));
}

TEST(Rfc4475, unkscm) {
  Torture t("unkscm");
  EXPECT_TRUE(t.msg.ok());
  EXPECT_EQ(t.msg.requestUri().scheme, UriScheme::kOther);
  EXPECT_EQ(t.msg.requestUri().schemeText, "nobodyKnowsThisScheme");
  EXPECT_EQ(t.msg.requestUri().opaque, "totallyopaquecontent");
  expectRejected(t, 416, "Unsupported URI Scheme", true);
}

TEST(Rfc4475, novelsc) {
  Torture t("novelsc");
  EXPECT_TRUE(t.msg.ok());
  EXPECT_EQ(t.msg.requestUri().schemeText, "soap.beep");
  // The edge routes sip, sips and tel only.
  expectRejected(t, 416, "Unsupported URI Scheme", true);
}

TEST(Rfc4475, unksm2) {
  Torture t("unksm2");
  expectAccepted(t);
  EXPECT_EQ(t.msg.to()->uri.scheme, UriScheme::kOther);
  EXPECT_EQ(t.msg.to()->uri.schemeText, "isbn");
  EXPECT_EQ(t.msg.from()->uri.schemeText, "http");
  EXPECT_EQ(t.msg.from()->tag(), "3234233");
  ASSERT_EQ(t.msg.contacts().size(), 1u);
  EXPECT_EQ(t.msg.contacts()[0].uri.opaque, "John_Smith");
}

TEST(Rfc4475, bext01) {
  Torture t("bext01");
  EXPECT_TRUE(t.msg.ok());
  expectRejected(t, 420, "Bad Extension", true);
  EXPECT_TRUE(t.outcome.badExtension);
  std::string tags;
  appendUnsupported(t.msg, {}, tags);
  EXPECT_EQ(tags, "noProxiesSupportThis, norDoAnyProxiesSupportThis");  // not the Require ones
  std::string out;
  ASSERT_TRUE(buildResponse(t.msg, 420, t.outcome.reason, "t1", {{"Unsupported", tags}}, out));
  EXPECT_NE(out.find("\r\nUnsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n"),
            std::string::npos);
  // Supporting both tags lets it through.
  std::string_view both[] = {"noProxiesSupportThis", "norDoAnyProxiesSupportThis"};
  SanityOptions opts;
  opts.supportedProxyRequire = both;
  EXPECT_TRUE(checkRequest(t.msg, opts).ok());
}

TEST(Rfc4475, invut) {
  Torture t("invut");
  // 415 is the UAS's call; the proxy forwards it.
  expectAccepted(t);
  EXPECT_EQ(t.msg.contentType(), "application/unknownformat");
  EXPECT_EQ(t.msg.body().size(), 40u);
}

TEST(Rfc4475, regaut01) {
  Torture t("regaut01");
  // The registrar will challenge; the proxy layer parses the credentials as an unknown scheme.
  expectAccepted(t);
  const HeaderField* h = t.msg.header(HeaderId::kAuthorization);
  ASSERT_NE(h, nullptr);
  Credentials c;
  ASSERT_TRUE(parseCredentials(h->value, &c));
  EXPECT_EQ(c.scheme, AuthScheme::kUnknown);
  EXPECT_EQ(c.schemeToken, "NoOneKnowsThisScheme");
  EXPECT_EQ(c.param("opaque-data"), "here");
}

TEST(Rfc4475, multi01) {
  Torture t("multi01");
  EXPECT_TRUE(t.msg.ok());
  // From, To, Call-ID, CSeq and Max-Forwards all appear twice; From is checked first.
  expectRejected(t, 400, "Bad Request - Duplicate From", true);
}

TEST(Rfc4475, mcl01) {
  Torture t("mcl01");
  expectRejected(t, 400, "Bad Request - Duplicate Content-Length", true);
}

TEST(Rfc4475, bcast) {
  Torture t("bcast");
  EXPECT_TRUE(t.msg.ok());
  EXPECT_TRUE(t.msg.isResponse());
  ASSERT_EQ(t.msg.vias().size(), 2u);
  // After popping our Via the edge would send to this broadcast address; it must refuse.
  EXPECT_EQ(t.msg.vias()[1].host, "255.255.255.255");
}

TEST(Rfc4475, zeromf) {
  Torture t("zeromf");
  EXPECT_TRUE(t.msg.ok());
  expectRejected(t, 483, "Too Many Hops", true);
  EXPECT_TRUE(t.outcome.tooManyHops);
  SanityOptions exempt;
  exempt.ignoreMaxForwards = true;  // the OPTIONS is for the edge itself
  EXPECT_TRUE(checkRequest(t.msg, exempt).ok());
}

TEST(Rfc4475, cparam01) {
  Torture t("cparam01");
  expectAccepted(t);
  ASSERT_EQ(t.msg.contacts().size(), 1u);
  const NameAddr& c = t.msg.contacts()[0];
  EXPECT_FALSE(c.angleBrackets);
  EXPECT_EQ(c.uri.text, "sip:+19725552222@gw1.example.net");
  EXPECT_FALSE(c.uri.hasParam("unknownparam"));
  EXPECT_TRUE(c.params.has("unknownparam"));
}

TEST(Rfc4475, cparam02) {
  Torture t("cparam02");
  expectAccepted(t);
  ASSERT_EQ(t.msg.contacts().size(), 1u);
  const NameAddr& c = t.msg.contacts()[0];
  EXPECT_TRUE(c.uri.hasParam("unknownparam"));
  EXPECT_FALSE(c.params.has("unknownparam"));
}

TEST(Rfc4475, regescrt) {
  Torture t("regescrt");
  expectAccepted(t);
  ASSERT_EQ(t.msg.contacts().size(), 1u);  // compact "M:"
  const NameAddr& c = t.msg.contacts()[0];
  EXPECT_EQ(c.uri.headers, "Route=%3Csip:sip.example.com%3E");
  // Stored unchanged: the text is the received bytes.
  EXPECT_EQ(c.uri.text, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
}

TEST(Rfc4475, sdp01) {
  Torture t("sdp01");
  // 406 is the UAS's call; the proxy forwards it.
  expectAccepted(t);
  EXPECT_EQ(t.msg.headerValue("Accept"), "text/nobodyKnowsThis");
}

// ---- 3.4 backward compatibility ---------------------------------------------------------------

TEST(Rfc4475, inv2543) {
  Torture t("inv2543");
  expectAccepted(t);
  EXPECT_EQ(t.msg.topVia()->branch, "");
  EXPECT_FALSE(t.msg.topVia()->isRfc3261Branch());
  EXPECT_FALSE(t.msg.maxForwards().has_value());
  EXPECT_FALSE(t.msg.contentLength().has_value());
  EXPECT_EQ(t.msg.body().size(), 105u);  // no Content-Length over UDP: the rest of the datagram
  ASSERT_EQ(t.msg.recordRoutes().size(), 1u);
  EXPECT_EQ(t.msg.recordRoutes()[0].uri.param("maddr"), "ss1.example.com");
  EXPECT_EQ(t.msg.to()->params.get("user"), "phone");  // addr-spec: a header parameter
}

}  // namespace
}  // namespace tandem::sip
