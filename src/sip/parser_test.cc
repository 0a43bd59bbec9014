// Parser tests: every accepted form the edge relies on, and every failure with its exact reason.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "sip/message.h"

// Counts heap allocations so the steady-state promise (no allocation when a Message is reused)
// is a test, not a comment.
namespace {
std::atomic<size_t> gAllocations{0};
}  // namespace

// GCC 12 flags malloc/free inside replaced operators as mismatched once they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  ++gAllocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace tandem::sip {
namespace {

// A well-formed INVITE whose header block can be swapped piece by piece.
std::string invite(const std::string& extra = "", const std::string& body = "") {
  return "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
         "Max-Forwards: 70\r\n"
         "To: Bob <sip:bob@biloxi.example.com>\r\n"
         "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
         "CSeq: 314159 INVITE\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Minimal request with only the given header lines (each ending in CRLF).
std::string request(const std::string& headers,
                    const std::string& startLine = "OPTIONS sip:bob@example.com SIP/2.0") {
  return startLine + "\r\n" + headers + "\r\n";
}

const std::string kBase =
    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
    "From: <sip:a@example.com>;tag=1\r\n"
    "To: <sip:b@example.com>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 OPTIONS\r\n";

struct Parsed {
  explicit Parsed(std::string d) : data(std::move(d)) { msg.parse(data); }
  std::string data;
  Message msg;
};

void expectError(const std::string& data, int status, std::string_view reason) {
  Message m;
  const ParseResult& r = m.parse(data);
  EXPECT_EQ(r.status, status) << data;
  EXPECT_EQ(r.reason, reason) << data;
}

// ---- accepted forms ---------------------------------------------------------------------------

TEST(Parser, parsesBasicInvite) {
  Parsed p(invite("Contact: <sip:alice@pc33.atlanta.example.com>\r\n", "v=0\r\n"));
  const Message& m = p.msg;
  ASSERT_TRUE(m.ok()) << m.result().reason;
  EXPECT_TRUE(m.isRequest());
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.methodToken(), "INVITE");
  EXPECT_EQ(m.requestUriText(), "sip:bob@biloxi.example.com");
  EXPECT_EQ(m.requestUri().host, "biloxi.example.com");
  EXPECT_EQ(m.version(), "SIP/2.0");
  EXPECT_EQ(m.headers().size(), 8u);
  EXPECT_EQ(m.callId(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(m.cseq()->number, 314159u);
  EXPECT_EQ(m.cseq()->method, Method::kInvite);
  EXPECT_EQ(m.maxForwards(), 70u);
  EXPECT_EQ(m.from()->displayName, "Alice");
  EXPECT_EQ(m.from()->tag(), "1928301774");
  EXPECT_EQ(m.to()->tag(), "");
  EXPECT_EQ(m.contacts().size(), 1u);
  EXPECT_EQ(m.body(), "v=0\r\n");
  EXPECT_EQ(m.result().consumed, p.data.size());
  EXPECT_TRUE(m.result().respondable);
  EXPECT_FALSE(m.result().drop);
}

TEST(Parser, parsesResponse) {
  Parsed p(
      "SIP/2.0 180 Ringing\r\n"
      "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKa, SIP/2.0/UDP pc33.example.com;"
      "branch=z9hG4bKb\r\n"
      "To: <sip:b@example.com>;tag=9\r\nFrom: <sip:a@example.com>;tag=1\r\nCall-ID: x\r\n"
      "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(p.msg.ok());
  EXPECT_TRUE(p.msg.isResponse());
  EXPECT_EQ(p.msg.statusCode(), 180);
  EXPECT_EQ(p.msg.reasonPhrase(), "Ringing");
  ASSERT_EQ(p.msg.vias().size(), 2u);
  EXPECT_EQ(p.msg.vias()[1].host, "pc33.example.com");
  EXPECT_EQ(p.msg.vias()[0].line, p.msg.vias()[1].line);
  EXPECT_FALSE(p.msg.result().respondable);  // one never answers a response
}

TEST(Parser, namesAreCaseInsensitiveAndCompactFormsMap) {
  Parsed p(
      request("v: SIP/2.0/UDP h;branch=z9hG4bK1\r\nF: <sip:a@x>;tag=1\r\nt: <sip:b@x>\r\n"
              "I: id\r\ncseq: 1 OPTIONS\r\nMAX-FORWARDS: 5\r\nm: <sip:a@h>\r\nc: text/plain\r\n"
              "k: timer, 100rel\r\ns: hi\r\ne: gzip\r\no: presence\r\nu: dialog\r\nr: <sip:c@x>\r\n"
              "b: <sip:d@x>\r\nx: 1800\r\ny: abc\r\nL: 0\r\n"));
  const Message& m = p.msg;
  ASSERT_TRUE(m.ok()) << m.result().reason;
  EXPECT_EQ(m.vias().size(), 1u);
  EXPECT_EQ(m.callId(), "id");
  EXPECT_EQ(m.maxForwards(), 5u);
  EXPECT_EQ(m.contacts().size(), 1u);
  EXPECT_EQ(m.contentType(), "text/plain");
  EXPECT_EQ(m.values(HeaderId::kSupported).size(), 2u);
  EXPECT_EQ(m.headerValue("Subject"), "hi");
  EXPECT_EQ(m.headerValue("Content-Encoding"), "gzip");
  EXPECT_EQ(m.headerValue("Event"), "presence");
  EXPECT_EQ(m.headerValue("Allow-Events"), "dialog");
  EXPECT_EQ(m.headerValue("Refer-To"), "<sip:c@x>");
  EXPECT_EQ(m.headerValue("Referred-By"), "<sip:d@x>");
  EXPECT_EQ(m.headerValue("Session-Expires"), "1800");
  EXPECT_EQ(m.headerValue("Identity"), "abc");
  EXPECT_EQ(m.contentLength(), 0u);
  EXPECT_EQ(m.header("session-expires"), m.header(HeaderId::kSessionExpires));
  EXPECT_EQ(m.header("X"), m.header(HeaderId::kSessionExpires));
}

TEST(Parser, unfoldsContinuationLines) {
  Parsed p(request(kBase + "Subject: first\r\n  second\r\n\tthird\r\n"));
  ASSERT_TRUE(p.msg.ok());
  EXPECT_EQ(p.msg.headerValue("subject"), "first\r\n  second\r\n\tthird");
}

TEST(Parser, splitsListHeadersButNotOthers) {
  Parsed p(request(kBase + "Supported: timer,100rel\r\nSupported: path\r\n"
                           "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
                           "Allow: INVITE, ACK ,\r\n BYE\r\n"));
  ASSERT_TRUE(p.msg.ok());
  std::vector<std::string_view> sup(p.msg.values("Supported").begin(),
                                    p.msg.values("Supported").end());
  EXPECT_EQ(sup, (std::vector<std::string_view>{"timer", "100rel", "path"}));
  EXPECT_EQ(p.msg.values("Date").size(), 1u);
  EXPECT_EQ(p.msg.headerValue("Date"), "Sat, 13 Nov 2010 23:29:00 GMT");
  std::vector<std::string_view> allow(p.msg.values(HeaderId::kAllow).begin(),
                                      p.msg.values(HeaderId::kAllow).end());
  EXPECT_EQ(allow, (std::vector<std::string_view>{"INVITE", "ACK", "BYE"}));
  EXPECT_EQ(p.msg.headerValue("Supported"), "timer");
  auto it = p.msg.values("Supported").begin();  // the range is gone, the iterator is fine
  ++it;
  EXPECT_EQ(*it, "100rel");
  EXPECT_FALSE(p.msg.headerValue("Nope").has_value());
  EXPECT_TRUE(p.msg.values("Nope").empty());
}

TEST(Parser, commaInsideQuotesOrAnglesDoesNotSplit) {
  Parsed p(
      request("Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\n"
              "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n"
              "Contact: \"Doe, John\" <sip:j@x>, <sip:k,l@x;a=b>;q=0.1, sip:l@x\r\n"));
  ASSERT_TRUE(p.msg.ok()) << p.msg.result().reason;
  ASSERT_EQ(p.msg.contacts().size(), 3u);
  EXPECT_EQ(p.msg.contacts()[0].displayName, "Doe, John");
  EXPECT_EQ(p.msg.contacts()[1].uri.user, "k,l");
  EXPECT_EQ(p.msg.contacts()[1].params.get("q"), "0.1");
  EXPECT_EQ(p.msg.contacts()[2].uri.user, "l");
  EXPECT_EQ(p.msg.values("Contact").size(), 3u);
}

TEST(Parser, routeAndRecordRouteEntries) {
  Parsed p(
      request(kBase +
              "Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr;ftag=x>\r\n"
              "Route: <sip:p3.example.com;lr>\r\nRoute: <sip:p4.example.com:5070;lr>;x=1\r\n"));
  ASSERT_TRUE(p.msg.ok()) << p.msg.result().reason;
  ASSERT_EQ(p.msg.recordRoutes().size(), 2u);
  EXPECT_EQ(p.msg.recordRoutes()[1].uri.param("ftag"), "x");
  ASSERT_EQ(p.msg.routes().size(), 2u);
  EXPECT_TRUE(p.msg.routes()[0].uri.hasParam("lr"));
  EXPECT_EQ(p.msg.routes()[1].uri.port, 5070);
  EXPECT_EQ(p.msg.routes()[1].params.get("x"), "1");
  EXPECT_NE(p.msg.routes()[0].line, p.msg.routes()[1].line);
}

TEST(Parser, viaParameters) {
  Parsed p(request(
      "Via: SIP/2.0/TCP [2001:db8::1]:5062;branch=z9hG4bKabc;received=2001:db8::9;rport=5062;"
      "maddr=224.2.0.1;ttl=16\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bK\r\n"
      "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"));
  ASSERT_TRUE(p.msg.ok()) << p.msg.result().reason;
  const Via& a = p.msg.vias()[0];
  EXPECT_EQ(a.transport, "TCP");
  EXPECT_EQ(a.host, "[2001:db8::1]");
  EXPECT_TRUE(a.hasPort);
  EXPECT_EQ(a.port, 5062);
  EXPECT_EQ(a.branch, "z9hG4bKabc");
  EXPECT_TRUE(a.isRfc3261Branch());
  EXPECT_EQ(a.received, "2001:db8::9");
  EXPECT_TRUE(a.hasRport);
  EXPECT_EQ(a.rport, "5062");
  EXPECT_EQ(a.maddr, "224.2.0.1");
  EXPECT_EQ(a.ttl, "16");
  EXPECT_EQ(a.params.get("BRANCH"), "z9hG4bKabc");
  const Via& b = p.msg.vias()[1];
  EXPECT_FALSE(b.hasPort);
  EXPECT_TRUE(b.hasRport);
  EXPECT_EQ(b.rport, "");
  EXPECT_FALSE(b.isRfc3261Branch());  // the bare cookie (RFC 4475 badbranch)
  EXPECT_EQ(b.text, "SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bK");
}

TEST(Parser, contactStarExpiresAndOptionTags) {
  Parsed p(
      request(kBase + "Contact: *\r\nExpires: 0\r\nProxy-Require: foo, bar\r\nRequire: baz\r\n",
              "REGISTER sip:example.com SIP/2.0"));
  ASSERT_TRUE(p.msg.ok());
  EXPECT_TRUE(p.msg.contactIsStar());
  EXPECT_TRUE(p.msg.contacts().empty());
  EXPECT_EQ(p.msg.expires(), 0u);
  EXPECT_EQ(p.msg.proxyRequire().size(), 2u);
  EXPECT_EQ(*p.msg.require().begin(), "baz");
}

TEST(Parser, unknownMethodKeepsToken) {
  Parsed p(request(kBase, "FOO sip:bob@example.com SIP/2.0"));
  ASSERT_TRUE(p.msg.ok());
  EXPECT_EQ(p.msg.method(), Method::kUnknown);
  EXPECT_EQ(p.msg.methodToken(), "FOO");
}

TEST(Parser, telAndOtherRequestUris) {
  Parsed tel(request(kBase, "INVITE tel:+1-212-555-0101;phone-context=x SIP/2.0"));
  ASSERT_TRUE(tel.msg.ok());
  EXPECT_EQ(tel.msg.requestUri().scheme, UriScheme::kTel);
  EXPECT_EQ(tel.msg.requestUri().user, "+1-212-555-0101");
  Parsed other(request(kBase, "OPTIONS im:bob@example.com SIP/2.0"));
  ASSERT_TRUE(other.msg.ok());
  EXPECT_EQ(other.msg.requestUri().scheme, UriScheme::kOther);
}

TEST(Parser, leadingCrlfIsSkipped) {
  Parsed p("\r\n\r\n" + invite());
  ASSERT_TRUE(p.msg.ok());
  EXPECT_EQ(p.msg.method(), Method::kInvite);
  EXPECT_EQ(p.msg.result().consumed, p.data.size());
}

TEST(Parser, trailingBytesAreNotConsumed) {
  Parsed p(invite("", "abc") + "garbage after the message");
  ASSERT_TRUE(p.msg.ok());
  EXPECT_EQ(p.msg.body(), "abc");
  EXPECT_EQ(p.msg.result().consumed, p.data.size() - 25);
  EXPECT_EQ(p.msg.buffer().size(), p.msg.result().consumed);
}

TEST(Parser, missingContentLengthTakesRestOfDatagram) {
  Parsed p(request(kBase) + "body bytes");
  ASSERT_TRUE(p.msg.ok());
  EXPECT_FALSE(p.msg.contentLength().has_value());
  EXPECT_EQ(p.msg.body(), "body bytes");
}

TEST(Parser, missingEmptyLineAtDatagramEndIsTolerated) {
  std::string d = request(kBase);
  d.resize(d.size() - 2);
  Parsed p(d);
  EXPECT_TRUE(p.msg.ok());
  EXPECT_EQ(p.msg.headers().size(), 5u);
  EXPECT_EQ(p.msg.body(), "");
}

TEST(Parser, genericLookupOfUnknownHeader) {
  Parsed p(request(kBase + "X-Custom: one\r\nx-custom: two\r\n"));
  ASSERT_TRUE(p.msg.ok());
  ASSERT_NE(p.msg.header("X-CUSTOM"), nullptr);
  EXPECT_EQ(p.msg.header("X-CUSTOM")->value, "one");
  EXPECT_EQ(p.msg.values("x-Custom").size(), 2u);
  EXPECT_EQ(p.msg.header("X-Other"), nullptr);
}

TEST(Parser, failedRequestCanStillBeAnswered) {
  Parsed p(request(kBase + "Max-Forwards: abc\r\n"));
  EXPECT_FALSE(p.msg.ok());
  EXPECT_TRUE(p.msg.result().respondable);
  EXPECT_FALSE(p.msg.result().drop);
}

TEST(Parser, reusedMessageDoesNotAllocate) {
  std::string a = invite(
      "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
      "Record-Route: <sip:p1.example.com;lr>\r\nRoute: <sip:p2;lr>\r\n",
      "v=0\r\n");
  std::string b = request(kBase + "Supported: timer\r\n");
  Message m;
  m.parse(a);
  m.parse(b);
  size_t before = gAllocations.load();
  for (int i = 0; i < 100; ++i) {
    m.parse(a);
    m.parse(b);
  }
  EXPECT_EQ(gAllocations.load(), before);
  EXPECT_TRUE(m.ok());
}

// ---- failures, one reason each ----------------------------------------------------------------

TEST(ParserError, emptyBuffer) { expectError("", 400, "Bad Request - Malformed Request-Line"); }

TEST(ParserError, noLineEnd) {
  expectError("INVITE sip:a@b SIP/2.0", 400, "Bad Request - Malformed Request-Line");
}

TEST(ParserError, requestLineWithoutSpaces) {
  expectError(request(kBase, "INVITE"), 400, "Bad Request - Malformed Request-Line");
}

TEST(ParserError, requestLineDoubleSpace) {
  expectError(request(kBase, "INVITE  sip:a@b SIP/2.0"), 400,
              "Bad Request - Malformed Request-Line");
}

TEST(ParserError, requestLineSpaceInUri) {
  expectError(request(kBase, "INVITE sip:a@b; lr SIP/2.0"), 400,
              "Bad Request - Malformed Request-Line");
}

TEST(ParserError, requestLineMissingVersion) {
  expectError(request(kBase, "INVITE sip:a@b "), 400, "Bad Request - Malformed Request-Line");
}

TEST(ParserError, methodNotAToken) {
  expectError(request(kBase, "INV@TE sip:a@b SIP/2.0"), 400,
              "Bad Request - Malformed Request-Line");
}

TEST(ParserError, versionGarbage) {
  expectError(request(kBase, "INVITE sip:a@b HTTP/1.1"), 400,
              "Bad Request - Malformed Request-Line");
}

TEST(ParserError, versionNotSupported) {
  Parsed p(request(kBase, "OPTIONS sip:a@b SIP/3.0"));
  EXPECT_EQ(p.msg.result().status, 505);
  EXPECT_EQ(p.msg.result().reason, "Version Not Supported");
  EXPECT_TRUE(p.msg.result().respondable);
}

TEST(ParserError, malformedRequestUri) {
  expectError(request(kBase, "INVITE <sip:a@b> SIP/2.0"), 400,
              "Bad Request - Malformed Request-URI");
}

TEST(ParserError, headersInRequestUri) {
  expectError(request(kBase, "INVITE sip:a@b?Route=x SIP/2.0"), 400,
              "Bad Request - Headers In Request-URI");
}

TEST(ParserError, statusCodeTooLong) {
  Parsed p("SIP/2.0 2000 OK\r\n" + kBase + "\r\n");
  EXPECT_EQ(p.msg.result().reason, "Bad Request - Malformed Status-Line");
  EXPECT_TRUE(p.msg.result().drop);
}

TEST(ParserError, statusCodeOutOfRange) {
  Parsed p("SIP/2.0 700 Whatever\r\n" + kBase + "\r\n");
  EXPECT_EQ(p.msg.result().reason, "Bad Request - Malformed Status-Line");
  EXPECT_TRUE(p.msg.result().drop);
}

TEST(ParserError, statusCodeNotDigits) {
  Parsed p("SIP/2.0 2x0 OK\r\n" + kBase + "\r\n");
  EXPECT_EQ(p.msg.result().reason, "Bad Request - Malformed Status-Line");
  EXPECT_TRUE(p.msg.result().drop);
}

TEST(ParserError, statusLineMissingCode) {
  Parsed p("SIP/2.0\r\n" + kBase + "\r\n");
  EXPECT_EQ(p.msg.result().reason, "Bad Request - Malformed Status-Line");
  EXPECT_TRUE(p.msg.result().drop);
}

TEST(ParserError, responseVersionNotSupported) {
  Parsed p("SIP/3.0 200 OK\r\n" + kBase + "\r\n");
  EXPECT_EQ(p.msg.result().status, 505);
  EXPECT_TRUE(p.msg.result().drop);
}

TEST(ParserError, headerWithoutColon) {
  expectError(request(kBase + "NoColonHere\r\n"), 400, "Bad Request - Malformed Header");
}

TEST(ParserError, headerNameNotAToken) {
  expectError(request(kBase + "Bad Name: x\r\n"), 400, "Bad Request - Malformed Header");
}

TEST(ParserError, firstHeaderStartsWithSpace) {
  expectError(request(" Via: SIP/2.0/UDP h\r\n" + kBase), 400, "Bad Request - Malformed Header");
}

TEST(ParserError, bareLineFeed) {
  expectError(request(kBase + "Subject: a\nb\r\n"), 400, "Bad Request - Malformed Header");
}

TEST(ParserError, bareCarriageReturn) {
  expectError(request(kBase + "Subject: a\rb\r\n"), 400, "Bad Request - Malformed Header");
}

TEST(ParserError, headerCutOff) {
  expectError("OPTIONS sip:a@b SIP/2.0\r\n" + kBase + "Subject: no end", 400,
              "Bad Request - Incomplete Header");
}

TEST(ParserError, tooManyHeaders) {
  std::string h = kBase;
  for (size_t i = 0; i < kMaxHeaders; ++i) h += "X-H: " + std::to_string(i) + "\r\n";
  Parsed p(request(h));
  EXPECT_EQ(p.msg.result().reason, "Bad Request - Too Many Headers");
  EXPECT_EQ(p.msg.headers().size(), kMaxHeaders);
  EXPECT_TRUE(p.msg.result().respondable);
}

TEST(ParserError, tooManyViaValues) {
  std::string via = "Via: SIP/2.0/UDP h0";
  for (size_t i = 1; i <= kMaxListEntries; ++i) via += ", SIP/2.0/UDP h" + std::to_string(i);
  expectError(request(via + "\r\n" + kBase), 400, "Bad Request - Too Many Headers");
}

TEST(ParserError, viaWithoutTransport) {
  expectError(request("Via: SIP/2.0 host\r\n" + kBase), 400, "Bad Request - Malformed Via");
}

TEST(ParserError, viaWithoutHost) {
  expectError(request("Via: SIP/2.0/UDP ;branch=z9hG4bK1\r\n" + kBase), 400,
              "Bad Request - Malformed Via");
}

TEST(ParserError, viaWithoutSpaceBeforeHost) {
  expectError(request("Via: SIP/2.0/UDPhost\r\n" + kBase), 400, "Bad Request - Malformed Via");
}

TEST(ParserError, viaPortTooLarge) {
  expectError(request("Via: SIP/2.0/UDP h:65536\r\n" + kBase), 400, "Bad Request - Malformed Via");
}

TEST(ParserError, viaEmptyParameter) {
  Parsed p(request("Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n" + kBase));
  EXPECT_EQ(p.msg.result().reason, "Bad Request - Malformed Via");
  EXPECT_FALSE(p.msg.result().respondable);  // its only Via is the bad one
  EXPECT_TRUE(p.msg.result().drop);
}

TEST(ParserError, viaTrailingGarbage) {
  expectError(request("Via: SIP/2.0/UDP h;branch=z9hG4bK1 junk\r\n" + kBase), 400,
              "Bad Request - Malformed Via");
}

TEST(ParserError, fromUnterminatedQuote) {
  expectError(request("From: \"Alice <sip:a@x>;tag=1\r\n" + kBase), 400,
              "Bad Request - Malformed From");
}

TEST(ParserError, fromBadDisplayName) {
  expectError(request("From: Bell, Alexander <sip:a@x>;tag=1\r\n" + kBase), 400,
              "Bad Request - Malformed From");
}

TEST(ParserError, toSpacesInsideAngles) {
  expectError(request("To: < sip:b@x >\r\n" + kBase), 400, "Bad Request - Malformed To");
}

TEST(ParserError, toMissingClosingAngle) {
  expectError(request("To: <sip:b@x\r\n" + kBase), 400, "Bad Request - Malformed To");
}

TEST(ParserError, toEmptyParameter) {
  expectError(request("To: <sip:b@x>;;tag=1\r\n" + kBase), 400, "Bad Request - Malformed To");
}

TEST(ParserError, callIdWithSpace) {
  expectError(request("Call-ID: a b\r\n" + kBase), 400, "Bad Request - Malformed Call-ID");
}

TEST(ParserError, callIdEmpty) {
  expectError(request("Call-ID:\r\n" + kBase), 400, "Bad Request - Malformed Call-ID");
}

TEST(ParserError, cseqWithoutMethod) {
  expectError(request("CSeq: 1\r\n" + kBase), 400, "Bad Request - Malformed CSeq");
}

TEST(ParserError, cseqWithoutNumber) {
  expectError(request("CSeq: INVITE\r\n" + kBase), 400, "Bad Request - Malformed CSeq");
}

TEST(ParserError, cseqTrailingGarbage) {
  expectError(request("CSeq: 1 INVITE x\r\n" + kBase), 400, "Bad Request - Malformed CSeq");
}

TEST(ParserError, cseqOutOfRange) {
  expectError(request("CSeq: 2147483648 OPTIONS\r\n" + kBase), 400,
              "Bad Request - CSeq Out Of Range");
}

TEST(ParserError, maxForwardsNotNumeric) {
  expectError(request(kBase + "Max-Forwards: seventy\r\n"), 400,
              "Bad Request - Malformed Max-Forwards");
}

TEST(ParserError, maxForwardsOutOfRange) {
  expectError(request(kBase + "Max-Forwards: 256\r\n"), 400,
              "Bad Request - Max-Forwards Out Of Range");
}

TEST(ParserError, expiresNotNumeric) {
  expectError(request(kBase + "Expires: soon\r\n"), 400, "Bad Request - Malformed Expires");
}

TEST(ParserError, expiresOutOfRange) {
  expectError(request(kBase + "Expires: 4294967296\r\n"), 400,
              "Bad Request - Expires Out Of Range");
}

TEST(ParserError, contentLengthNegative) {
  expectError(request(kBase + "Content-Length: -1\r\n"), 400,
              "Bad Request - Malformed Content-Length");
}

TEST(ParserError, contentLengthBeyondBuffer) {
  expectError(request(kBase + "Content-Length: 10\r\n") + "short", 400,
              "Bad Request - Content-Length Too Large");
}

TEST(ParserError, contentLengthOverflow) {
  expectError(request(kBase + "Content-Length: 99999999999999999999\r\n"), 400,
              "Bad Request - Content-Length Too Large");
}

TEST(ParserError, contentLengthTwice) {
  expectError(request(kBase + "Content-Length: 0\r\nl: 0\r\n"), 400,
              "Bad Request - Duplicate Content-Length");
}

TEST(ParserError, routeWithoutAngles) {
  expectError(request(kBase + "Route: sip:p1.example.com;lr\r\n"), 400,
              "Bad Request - Malformed Route");
}

TEST(ParserError, recordRouteBadUri) {
  expectError(request(kBase + "Record-Route: <sip:>\r\n"), 400,
              "Bad Request - Malformed Record-Route");
}

TEST(ParserError, routeEmptyListElement) {
  expectError(request(kBase + "Route: <sip:a;lr>,,<sip:b;lr>\r\n"), 400,
              "Bad Request - Malformed Route");
}

TEST(ParserError, contactHeadersWithoutAngles) {
  expectError(request(kBase + "Contact: sip:u@x?Route=%3Csip:y%3E\r\n"), 400,
              "Bad Request - Malformed Contact");
}

TEST(ParserError, firstErrorWins) {
  expectError(request(kBase + "Max-Forwards: x\r\nExpires: y\r\n"), 400,
              "Bad Request - Malformed Max-Forwards");
}

}  // namespace
}  // namespace tandem::sip
