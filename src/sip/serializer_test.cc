// Editor and message-building tests: exact output bytes, untouched ranges copied as received.
#include "sip/serializer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "sip/message.h"

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

const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/UDP pc33.example.com;"
    "branch=z9hG4bKuac\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:edge.example.com;lr>, <sip:core.example.com;lr>\r\n"
    "Route: <sip:last.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "f: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "X-Custom: keep me\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

struct Fixture {
  explicit Fixture(std::string d) : data(std::move(d)) {
    msg.parse(data);
    EXPECT_TRUE(msg.ok()) << msg.result().reason;
    editor.reset(msg);
  }
  std::string out() const {
    std::string s;
    editor.serialize(s);
    return s;
  }
  std::string data;
  Message msg;
  MessageEditor editor;
};

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  size_t p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) s.replace(p, from.size(), to);
  return s;
}

// ---- editor -----------------------------------------------------------------------------------

TEST(Editor, noEditIsByteExact) {
  Fixture f(kInvite);
  EXPECT_EQ(f.out(), kInvite);
}

TEST(Editor, appendsToTheCallersString) {
  Fixture f(kInvite);
  std::string s = "prefix";
  f.editor.serialize(s);
  EXPECT_EQ(s, "prefix" + kInvite);
}

TEST(Editor, prependVia) {
  Fixture f(kInvite);
  ASSERT_TRUE(f.editor.prependVia("SIP/2.0/UDP edge.example.com;branch=z9hG4bKe"));
  EXPECT_EQ(f.out(), replaced(kInvite, "Via: SIP/2.0/UDP p1",
                              "Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKe\r\n"
                              "Via: SIP/2.0/UDP p1"));
}

TEST(Editor, secondPrependedViaLandsOnTop) {
  Fixture f(kInvite);
  f.editor.prependVia("A");
  f.editor.prependVia("B");
  EXPECT_EQ(f.out(),
            replaced(kInvite, "Via: SIP/2.0/UDP p1", "Via: B\r\nVia: A\r\nVia: SIP/2.0/UDP p1"));
}

TEST(Editor, removeTopViaOfMultiValueLine) {
  Fixture f(kInvite);
  ASSERT_TRUE(f.editor.removeTopVia());
  EXPECT_EQ(f.out(), replaced(kInvite, "SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, ", ""));
  ASSERT_TRUE(f.editor.removeTopVia());
  std::string noVia = replaced(kInvite,
                               "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/UDP "
                               "pc33.example.com;branch=z9hG4bKuac\r\n",
                               "");
  EXPECT_EQ(f.out(), noVia);
  EXPECT_FALSE(f.editor.removeTopVia());
  EXPECT_EQ(f.out(), noVia);
}

TEST(Editor, removeTopViaOfResponse) {
  std::string resp =
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKe\r\n"
      "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKuac;received=192.0.2.1\r\n"
      "To: <sip:b@x>;tag=2\r\nFrom: <sip:a@x>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
      "Content-Length: 0\r\n\r\n";
  Fixture f(resp);
  ASSERT_TRUE(f.editor.removeTopVia());
  EXPECT_EQ(f.out(), replaced(resp, "Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKe\r\n", ""));
}

TEST(Editor, removeTopRouteOnlyTakesOneEntry) {
  Fixture f(kInvite);
  ASSERT_TRUE(f.editor.removeTopRoute());
  EXPECT_EQ(f.out(), replaced(kInvite, "<sip:edge.example.com;lr>, ", ""));
  ASSERT_TRUE(f.editor.removeTopRoute());
  std::string two =
      replaced(kInvite, "Route: <sip:edge.example.com;lr>, <sip:core.example.com;lr>\r\n", "");
  EXPECT_EQ(f.out(), two);
  ASSERT_TRUE(f.editor.removeTopRoute());
  EXPECT_EQ(f.out(), replaced(two, "Route: <sip:last.example.com;lr>\r\n", ""));
  EXPECT_FALSE(f.editor.removeTopRoute());
}

TEST(Editor, setRequestUri) {
  Fixture f(kInvite);
  ASSERT_TRUE(f.editor.setRequestUri("sip:bob@192.0.2.4:5070"));
  EXPECT_EQ(f.out(), replaced(kInvite, "INVITE sip:bob@biloxi.example.com SIP/2.0",
                              "INVITE sip:bob@192.0.2.4:5070 SIP/2.0"));
}

TEST(Editor, setRequestUriRefusedOnResponse) {
  Fixture f("SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(f.editor.setRequestUri("sip:x"));
}

TEST(Editor, setMaxForwardsReplacesValue) {
  Fixture f(kInvite);
  ASSERT_TRUE(f.editor.setMaxForwards(69));
  EXPECT_EQ(f.out(), replaced(kInvite, "Max-Forwards: 70", "Max-Forwards: 69"));
}

TEST(Editor, setMaxForwardsAddsWhenAbsent) {
  std::string msg =
      "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCall-ID: c\r\nContent-Length: 0\r\n\r\n";
  Fixture f(msg);
  ASSERT_TRUE(f.editor.setMaxForwards(70));
  EXPECT_EQ(f.out(),
            replaced(msg, "Content-Length: 0\r\n", "Content-Length: 0\r\nMax-Forwards: 70\r\n"));
}

TEST(Editor, prependRecordRouteAboveExisting) {
  std::string msg =
      replaced(kInvite, "X-Custom", "Record-Route: <sip:p1.example.com;lr>\r\nX-Custom");
  Fixture f(msg);
  ASSERT_TRUE(f.editor.prependRecordRoute("<sip:edge.example.com;lr>"));
  EXPECT_EQ(f.out(), replaced(msg, "Record-Route: <sip:p1",
                              "Record-Route: <sip:edge.example.com;lr>\r\nRecord-Route: <sip:p1"));
}

TEST(Editor, prependRecordRouteAfterViaBlockWhenNone) {
  Fixture f(kInvite);
  ASSERT_TRUE(f.editor.prependRecordRoute("<sip:edge.example.com;lr>"));
  EXPECT_EQ(f.out(), replaced(kInvite, "Max-Forwards: 70",
                              "Record-Route: <sip:edge.example.com;lr>\r\nMax-Forwards: 70"));
}

TEST(Editor, setHeaderReplacesFirstAndDropsOthers) {
  std::string msg = replaced(kInvite, "X-Custom: keep me", "X-Custom: one\r\nx-custom: two");
  Fixture f(msg);
  ASSERT_TRUE(f.editor.setHeader("X-CUSTOM", "three"));
  EXPECT_EQ(f.out(), replaced(msg, "X-Custom: one\r\nx-custom: two", "X-Custom: three"));
}

TEST(Editor, setHeaderMatchesCompactForm) {
  Fixture f(kInvite);
  ASSERT_TRUE(f.editor.setHeader("From", "<sip:anon@anonymous.invalid>;tag=1"));
  EXPECT_EQ(f.out(), replaced(kInvite, "f: Alice <sip:alice@atlanta.example.com>;tag=1928301774",
                              "f: <sip:anon@anonymous.invalid>;tag=1"));
}

TEST(Editor, setHeaderAppendsWhenAbsent) {
  Fixture f(kInvite);
  ASSERT_TRUE(f.editor.setHeader("P-Asserted-Identity", "<sip:alice@atlanta.example.com>"));
  EXPECT_EQ(f.out(), replaced(kInvite, "Content-Length: 4\r\n",
                              "Content-Length: 4\r\n"
                              "P-Asserted-Identity: <sip:alice@atlanta.example.com>\r\n"));
}

TEST(Editor, addAndRemoveHeader) {
  Fixture f(kInvite);
  ASSERT_TRUE(f.editor.addHeader("X-Added", "1"));
  ASSERT_TRUE(f.editor.removeHeader("x-custom"));
  EXPECT_FALSE(f.editor.removeHeader("X-Absent"));
  std::string want = replaced(kInvite, "X-Custom: keep me\r\n", "");
  EXPECT_EQ(f.out(),
            replaced(want, "Content-Length: 4\r\n", "Content-Length: 4\r\nX-Added: 1\r\n"));
}

TEST(Editor, contentLengthIsManaged) {
  Fixture f(kInvite);
  EXPECT_FALSE(f.editor.setHeader("Content-Length", "9"));
  EXPECT_FALSE(f.editor.addHeader("l", "9"));
  EXPECT_FALSE(f.editor.removeHeader("Content-Length"));
  EXPECT_EQ(f.out(), kInvite);
}

TEST(Editor, setBodyUpdatesContentLength) {
  Fixture f(kInvite);
  f.editor.setBody("v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\n");
  std::string want = replaced(kInvite, "Content-Length: 4", "Content-Length: 31");
  EXPECT_EQ(f.out(),
            replaced(want, "\r\n\r\nv=0\n", "\r\n\r\nv=0\r\no=- 1 1 IN IP4 192.0.2.9\r\n"));
}

TEST(Editor, addsContentLengthWhenAbsent) {
  std::string msg = "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\nhello";
  Fixture f(msg);
  EXPECT_EQ(f.out(),
            "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 5\r\n\r\nhello");
}

TEST(Editor, trailingDatagramBytesAreNotCopied) {
  Fixture f(kInvite + "INVITE sip:second SIP/2.0\r\n");
  EXPECT_EQ(f.out(), kInvite);
}

TEST(Editor, leadingCrlfIsNotCopied) {
  Fixture f("\r\n" + kInvite);
  EXPECT_EQ(f.out(), kInvite);
}

TEST(Editor, forwardingEditsCombineAndReparse) {
  Fixture f(kInvite);
  f.editor.prependVia("SIP/2.0/UDP edge.example.com;branch=z9hG4bKe");
  f.editor.setMaxForwards(69);
  f.editor.removeTopRoute();
  f.editor.prependRecordRoute("<sip:edge.example.com;lr>");
  f.editor.setRequestUri("sip:bob@192.0.2.4");
  std::string out = f.out();
  Message m;
  ASSERT_TRUE(m.parse(out).ok()) << m.result().reason;
  EXPECT_EQ(m.requestUriText(), "sip:bob@192.0.2.4");
  ASSERT_EQ(m.vias().size(), 3u);
  EXPECT_EQ(m.vias()[0].host, "edge.example.com");
  EXPECT_EQ(m.maxForwards(), 69u);
  ASSERT_EQ(m.routes().size(), 2u);
  EXPECT_EQ(m.routes()[0].uri.host, "core.example.com");
  ASSERT_EQ(m.recordRoutes().size(), 1u);
  EXPECT_EQ(m.body(), "v=0\n");
  EXPECT_EQ(m.headerValue("X-Custom"), "keep me");
}

TEST(Editor, steadyStateDoesNotAllocate) {
  Message m;
  MessageEditor e;
  std::string out;
  auto once = [&] {
    m.parse(kInvite);
    e.reset(m);
    e.prependVia("SIP/2.0/UDP edge.example.com;branch=z9hG4bKe");
    e.setMaxForwards(69);
    e.prependRecordRoute("<sip:edge.example.com;lr>");
    out.clear();
    e.serialize(out);
  };
  once();
  size_t before = gAllocations.load();
  for (int i = 0; i < 100; ++i) once();
  EXPECT_EQ(gAllocations.load(), before);
}

// ---- responses --------------------------------------------------------------------------------

const std::string kRequest =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/UDP pc33.example.com;"
    "branch=z9hG4bKuac\r\n"
    "v: SIP/2.0/TCP first.example.com;branch=z9hG4bK0\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "f: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

const std::string kResponseHeaders =
    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/UDP pc33.example.com;"
    "branch=z9hG4bKuac\r\n"
    "v: SIP/2.0/TCP first.example.com;branch=z9hG4bK0\r\n";

TEST(Response, copiesViaFromToCallIdCSeqAndTagsTo) {
  Message req;
  req.parse(kRequest);
  std::string out;
  ASSERT_TRUE(buildResponse(req, 486, "Busy Here", "as83kd9bs", {}, out));
  EXPECT_EQ(out, "SIP/2.0 486 Busy Here\r\n" + kResponseHeaders +
                     "f: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
                     "To: Bob <sip:bob@biloxi.example.com>;tag=as83kd9bs\r\n"
                     "Call-ID: a84b4c76e66710\r\n"
                     "CSeq: 314159 INVITE\r\n"
                     "Content-Length: 0\r\n\r\n");
}

TEST(Response, trying100GetsNoTag) {
  Message req;
  req.parse(kRequest);
  std::string out;
  ASSERT_TRUE(buildResponse(req, 100, "Trying", "as83kd9bs", {}, out));
  EXPECT_NE(out.find("\r\nTo: Bob <sip:bob@biloxi.example.com>\r\n"), std::string::npos);
}

TEST(Response, existingToTagIsKept) {
  std::string r = replaced(kRequest, "To: Bob <sip:bob@biloxi.example.com>",
                           "To: Bob <sip:bob@biloxi.example.com>;tag=old");
  Message req;
  req.parse(r);
  std::string out;
  ASSERT_TRUE(buildResponse(req, 200, "OK", "new", {}, out));
  EXPECT_NE(out.find("\r\nTo: Bob <sip:bob@biloxi.example.com>;tag=old\r\n"), std::string::npos);
  EXPECT_EQ(out.find("tag=new"), std::string::npos);
}

TEST(Response, extraHeadersBodyAndTopViaParams) {
  Message req;
  req.parse(kRequest);
  HeaderLine extra[] = {{"Unsupported", "foo, bar"}, {"Server", "tandem"}};
  ResponseSpec spec;
  spec.code = 420;
  spec.reason = "Bad Extension";
  spec.toTag = "t";
  spec.headers = extra;
  spec.topViaParams = ";received=192.0.2.7;rport=5062";
  spec.body = "hello";
  spec.contentType = "text/plain";
  std::string out;
  ASSERT_TRUE(buildResponse(req, spec, out));
  EXPECT_EQ(out,
            "SIP/2.0 420 Bad Extension\r\n"
            "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1;received=192.0.2.7;rport=5062, "
            "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKuac\r\n"
            "v: SIP/2.0/TCP first.example.com;branch=z9hG4bK0\r\n"
            "f: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "To: Bob <sip:bob@biloxi.example.com>;tag=t\r\n"
            "Call-ID: a84b4c76e66710\r\n"
            "CSeq: 314159 INVITE\r\n"
            "Unsupported: foo, bar\r\n"
            "Server: tandem\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 5\r\n\r\nhello");
}

TEST(Response, refusedWithoutMandatoryHeaders) {
  Message req;
  req.parse(replaced(kRequest, "Call-ID: a84b4c76e66710\r\n", ""));
  std::string out = "x";
  EXPECT_FALSE(buildResponse(req, 400, "Bad Request", "", {}, out));
  EXPECT_EQ(out, "x");
}

TEST(Response, refusedForResponse) {
  Message resp;
  resp.parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 0\r\n\r\n");
  std::string out;
  EXPECT_FALSE(buildResponse(resp, 400, "Bad Request", "", {}, out));
}

TEST(Response, outputParses) {
  Message req;
  req.parse(kRequest);
  std::string out;
  ASSERT_TRUE(buildResponse(req, 404, "Not Found", "abc", {}, out));
  Message resp;
  ASSERT_TRUE(resp.parse(out).ok()) << resp.result().reason;
  EXPECT_EQ(resp.statusCode(), 404);
  EXPECT_EQ(resp.vias().size(), 3u);
  EXPECT_EQ(resp.to()->tag(), "abc");
}

// ---- ACK and CANCEL ---------------------------------------------------------------------------

const std::string kSentInvite =
    "INVITE sip:bob@192.0.2.4 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKe, SIP/2.0/UDP pc33.example.com;"
    "branch=z9hG4bKuac\r\n"
    "Max-Forwards: 69\r\n"
    "Route: <sip:core.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(Ack, forNon2xxFinalResponse) {
  Message invite;
  invite.parse(kSentInvite);
  Message resp;
  resp.parse(
      "SIP/2.0 486 Busy Here\r\n"
      "Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKe, SIP/2.0/UDP pc33.example.com;"
      "branch=z9hG4bKuac\r\n"
      "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
      "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n");
  std::string out;
  ASSERT_TRUE(buildAckForNon2xx(invite, resp, out));
  EXPECT_EQ(out,
            "ACK sip:bob@192.0.2.4 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKe\r\n"
            "Route: <sip:core.example.com;lr>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
            "Call-ID: a84b4c76e66710\r\n"
            "CSeq: 314159 ACK\r\n"
            "Max-Forwards: 69\r\n"
            "Content-Length: 0\r\n\r\n");
  Message ack;
  EXPECT_TRUE(ack.parse(out).ok());
}

TEST(Ack, refusedForNonInvite) {
  Message bye;
  bye.parse(
      replaced(replaced(kSentInvite, "INVITE sip", "BYE sip"), "314159 INVITE", "314159 BYE"));
  Message resp;
  resp.parse("SIP/2.0 404 Not Found\r\nTo: <sip:b@x>;tag=1\r\nContent-Length: 0\r\n\r\n");
  std::string out;
  EXPECT_FALSE(buildAckForNon2xx(bye, resp, out));
  EXPECT_TRUE(out.empty());
}

TEST(Cancel, forPendingInvite) {
  Message invite;
  invite.parse(kSentInvite);
  std::string out;
  ASSERT_TRUE(buildCancel(invite, out));
  EXPECT_EQ(out,
            "CANCEL sip:bob@192.0.2.4 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKe\r\n"
            "Route: <sip:core.example.com;lr>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "To: Bob <sip:bob@biloxi.example.com>\r\n"
            "Call-ID: a84b4c76e66710\r\n"
            "CSeq: 314159 CANCEL\r\n"
            "Max-Forwards: 69\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(Cancel, refusedWithoutVia) {
  Message invite;
  invite.parse(replaced(kSentInvite,
                        "Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKe, SIP/2.0/UDP "
                        "pc33.example.com;branch=z9hG4bKuac\r\n",
                        ""));
  std::string out;
  EXPECT_FALSE(buildCancel(invite, out));
}

}  // namespace
}  // namespace tandem::sip
