// RequestParser and serializeResponse: every limit and malformation has its own test and its
// exact error text.
#include "control/http.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::control {
namespace {

using State = RequestParser::State;

TEST(HttpParser, ParsesGetWithQueryAndHeaders) {
  RequestParser p(HttpLimits{});
  std::string text = "GET /metrics?name=x HTTP/1.1\r\nHost: a\r\nX-Thing:  two words \r\n\r\n";
  ASSERT_EQ(p.parse(text), State::kComplete);
  const HttpRequest& r = p.request();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/metrics?name=x");
  EXPECT_EQ(r.path, "/metrics");
  EXPECT_EQ(r.query, "name=x");
  EXPECT_EQ(r.minorVersion, 1);
  ASSERT_NE(r.header("x-thing"), nullptr);
  EXPECT_EQ(*r.header("x-thing"), "two words");
  EXPECT_EQ(r.header("Content-Length"), nullptr);
  EXPECT_TRUE(r.keepAlive);
  EXPECT_EQ(p.consumed(), text.size());
}

TEST(HttpParser, ReadsBodyByContentLength) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("POST /rpc HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloEXTRA"), State::kComplete);
  EXPECT_EQ(p.request().body, "hello");
  EXPECT_EQ(p.consumed(), 46u);
}

TEST(HttpParser, NeedsMoreUntilHeadIsComplete) {
  RequestParser p(HttpLimits{});
  std::string text = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";
  for (size_t n = 0; n < text.size(); ++n) {
    ASSERT_EQ(p.parse(std::string_view(text).substr(0, n)), State::kNeedMore) << n;
  }
  EXPECT_FALSE(p.headComplete());
  EXPECT_EQ(p.parse(text), State::kComplete);
  EXPECT_EQ(p.request().path, "/health");
}

TEST(HttpParser, NeedsMoreUntilBodyIsComplete) {
  RequestParser p(HttpLimits{});
  std::string text = "POST /rpc HTTP/1.1\r\nContent-Length: 4\r\n\r\n{}";
  EXPECT_EQ(p.parse(text), State::kNeedMore);
  EXPECT_TRUE(p.headComplete());
  EXPECT_EQ(p.parse(text + "[]"), State::kComplete);
  EXPECT_EQ(p.request().body, "{}[]");
}

TEST(HttpParser, ResetParsesThePipelinedNextRequest) {
  RequestParser p(HttpLimits{});
  std::string text = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  ASSERT_EQ(p.parse(text), State::kComplete);
  size_t used = p.consumed();
  EXPECT_EQ(p.request().path, "/a");
  p.reset();
  ASSERT_EQ(p.parse(std::string_view(text).substr(used)), State::kComplete);
  EXPECT_EQ(p.request().path, "/b");
}

TEST(HttpParser, SkipsBlankLinesBeforeRequestLine) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("\r\n\r\nGET /a HTTP/1.1\r\n\r\n"), State::kComplete);
  EXPECT_EQ(p.request().path, "/a");
  EXPECT_EQ(p.consumed(), 23u);
}

TEST(HttpParser, AcceptsBareLfLineEndings) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET /a HTTP/1.1\nHost: x\n\n"), State::kComplete);
  EXPECT_EQ(*p.request().header("host"), "x");
}

TEST(HttpParser, HeaderSectionOverLimitIs431) {
  HttpLimits limits;
  limits.maxHeaderBytes = 64;
  RequestParser p(limits);
  std::string text = "GET / HTTP/1.1\r\nX: " + std::string(60, 'a') + "\r\n\r\n";
  ASSERT_EQ(p.parse(text), State::kError);
  EXPECT_EQ(p.errorStatus(), 431);
  EXPECT_EQ(p.errorText(), "header section exceeds 64 bytes");
}

TEST(HttpParser, HeaderSectionOverLimitIs431EvenWhileIncomplete) {
  HttpLimits limits;
  limits.maxHeaderBytes = 64;
  RequestParser p(limits);
  EXPECT_EQ(p.parse(std::string(63, 'G')), State::kNeedMore);
  EXPECT_EQ(p.parse(std::string(64, 'G')), State::kError);
  EXPECT_EQ(p.errorStatus(), 431);
}

TEST(HttpParser, BodyOverLimitIs413BeforeTheBodyArrives) {
  HttpLimits limits;
  limits.maxBodyBytes = 10;
  RequestParser p(limits);
  ASSERT_EQ(p.parse("POST /rpc HTTP/1.1\r\nContent-Length: 11\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorStatus(), 413);
  EXPECT_EQ(p.errorText(), "body of 11 bytes exceeds the limit of 10 bytes");
}

TEST(HttpParser, RequestLineWithoutVersionIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET /\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorStatus(), 400);
  EXPECT_EQ(p.errorText(), "malformed request line");
}

TEST(HttpParser, DoubleSpaceInRequestLineIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET  / HTTP/1.1\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorText(), "malformed request line");
}

TEST(HttpParser, MalformedVersionIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET / HTTX/1.1\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorStatus(), 400);
  EXPECT_EQ(p.errorText(), "malformed HTTP version");
}

TEST(HttpParser, Http2VersionIs505) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET / HTTP/2.0\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorStatus(), 505);
  EXPECT_EQ(p.errorText(), "HTTP/2.0 is not supported");
}

TEST(HttpParser, RelativeTargetIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET metrics HTTP/1.1\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorStatus(), 400);
  EXPECT_EQ(p.errorText(), "malformed request target");
}

TEST(HttpParser, AbsoluteFormTargetIsReducedToItsPath) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET http://127.0.0.1:7060/metrics?a HTTP/1.1\r\n\r\n"), State::kComplete);
  EXPECT_EQ(p.request().path, "/metrics");
  EXPECT_EQ(p.request().query, "a");
}

TEST(HttpParser, ObsoleteLineFoldingIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorStatus(), 400);
  EXPECT_EQ(p.errorText(), "obsolete line folding is not supported");
}

TEST(HttpParser, SpaceBeforeColonIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET / HTTP/1.1\r\nContent-Length : 0\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorText(), "malformed header field");
}

TEST(HttpParser, HeaderWithoutColonIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorText(), "malformed header field");
}

TEST(HttpParser, ControlCharacterInValueIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse(std::string("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n")), State::kError);
  EXPECT_EQ(p.errorText(), "invalid character in header field value");
}

TEST(HttpParser, BareCrIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorText(), "bare CR in header section");
}

TEST(HttpParser, NulIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse(std::string_view("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26)), State::kError);
  EXPECT_EQ(p.errorText(), "NUL in header section");
}

TEST(HttpParser, NonNumericContentLengthIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorStatus(), 400);
  EXPECT_EQ(p.errorText(), "invalid Content-Length");
}

TEST(HttpParser, ContentLengthListIs400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorText(), "invalid Content-Length");
}

TEST(HttpParser, ConflictingContentLengthsAre400) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            State::kError);
  EXPECT_EQ(p.errorText(), "conflicting Content-Length headers");
}

TEST(HttpParser, RepeatedEqualContentLengthIsAccepted) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"),
            State::kComplete);
  EXPECT_EQ(p.request().body, "x");
}

TEST(HttpParser, TransferEncodingIs501) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), State::kError);
  EXPECT_EQ(p.errorStatus(), 501);
  EXPECT_EQ(p.errorText(), "Transfer-Encoding is not supported; send the body with Content-Length");
}

TEST(HttpParser, ConnectionCloseEndsKeepAlive) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(p.request().keepAlive);
}

TEST(HttpParser, Http10ClosesUnlessKeepAliveAsked) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("GET / HTTP/1.0\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(p.request().keepAlive);
  p.reset();
  ASSERT_EQ(p.parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), State::kComplete);
  EXPECT_TRUE(p.request().keepAlive);
}

TEST(HttpParser, ExpectContinueIsReportedForHttp11Only) {
  RequestParser p(HttpLimits{});
  EXPECT_EQ(p.parse("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"),
            State::kNeedMore);
  EXPECT_TRUE(p.headComplete());
  EXPECT_TRUE(p.request().expectContinue);
  p.reset();
  EXPECT_EQ(p.parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"),
            State::kNeedMore);
  EXPECT_FALSE(p.request().expectContinue);
}

TEST(HttpParser, ErrorIsSticky) {
  RequestParser p(HttpLimits{});
  ASSERT_EQ(p.parse("BAD\r\n\r\n"), State::kError);
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\n\r\n"), State::kError);
}

TEST(HttpSerialize, ResponseWithBody) {
  HttpResponse r = HttpResponse::text(200, "OK\n");
  EXPECT_EQ(serializeResponse(r, false, false),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
            "\r\nOK\n");
}

TEST(HttpSerialize, HeadKeepsLengthDropsBodyAndCloseIsAnnounced) {
  HttpResponse r = HttpResponse::text(405, "no\n");
  r.headers.emplace_back("Allow", "POST");
  EXPECT_EQ(serializeResponse(r, true, true),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 3\r\nAllow: POST\r\nConnection: close\r\n\r\n");
}

TEST(HttpSerialize, NoContentHasNoLengthOrBody) {
  EXPECT_EQ(serializeResponse(HttpResponse::text(204, ""), false, false),
            "HTTP/1.1 204 No Content\r\n\r\n");
}

}  // namespace
}  // namespace tandem::control
