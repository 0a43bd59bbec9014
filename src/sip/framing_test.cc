// Stream framing tests: partial input, keep-alives, and every way a stream cannot be framed.
#include "sip/framing.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::sip {
namespace {

constexpr size_t kMaxHeader = 4096;
constexpr size_t kMaxBody = 65536;

std::string message(const std::string& lengthLine, const std::string& body) {
  return "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n" +
         lengthLine + "\r\nCall-ID: c\r\n\r\n" + body;
}

FrameResult frameOf(const std::string& s) { return frame(s, kMaxHeader, kMaxBody); }

TEST(Framing, completeMessage) {
  std::string m = message("Content-Length: 5", "hello");
  FrameResult r = frameOf(m);
  ASSERT_TRUE(r.complete()) << r.error;
  EXPECT_EQ(r.skip, 0u);
  EXPECT_EQ(r.length, m.size());
}

TEST(Framing, secondMessageIsLeftAlone) {
  std::string a = message("Content-Length: 5", "hello");
  std::string b = message("Content-Length: 0", "");
  FrameResult r = frameOf(a + b);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(r.length, a.size());
}

TEST(Framing, needMoreWhileHeadersIncomplete) {
  std::string m = message("Content-Length: 5", "hello");
  for (size_t cut : {size_t{1}, size_t{20}, m.find("\r\n\r\n") + 3}) {
    FrameResult r = frameOf(m.substr(0, cut));
    EXPECT_EQ(r.kind, FrameResult::Kind::kNeedMore) << cut;
  }
}

TEST(Framing, needMoreWhileBodyIncomplete) {
  std::string m = message("Content-Length: 5", "hello");
  FrameResult r = frameOf(m.substr(0, m.size() - 1));
  EXPECT_EQ(r.kind, FrameResult::Kind::kNeedMore);
}

TEST(Framing, compactAndOddlyCasedLength) {
  std::string body = "abc";
  for (std::string line : {"l: 3", "L:3", "content-LENGTH   :  3", "Content-Length:\r\n 3"}) {
    std::string m = message(line, body);
    FrameResult r = frameOf(m);
    ASSERT_TRUE(r.complete()) << line << " " << r.error;
    EXPECT_EQ(r.length, m.size()) << line;
  }
}

TEST(Framing, keepAliveCrlfIsSkipped) {
  std::string m = message("Content-Length: 0", "");
  FrameResult r = frameOf("\r\n" + m);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(r.skip, 2u);
  EXPECT_FALSE(r.ping);
  EXPECT_EQ(r.length, m.size());
}

TEST(Framing, doubleCrlfPingIsReported) {
  FrameResult r = frameOf("\r\n\r\n");
  EXPECT_EQ(r.kind, FrameResult::Kind::kNeedMore);
  EXPECT_EQ(r.skip, 4u);
  EXPECT_TRUE(r.ping);
}

TEST(Framing, emptyStreamNeedsMore) {
  FrameResult r = frameOf("");
  EXPECT_EQ(r.kind, FrameResult::Kind::kNeedMore);
  EXPECT_EQ(r.skip, 0u);
}

TEST(FramingError, missingContentLength) {
  FrameResult r = frameOf(message("Subject: none", ""));
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_EQ(r.error, "Missing Content-Length");
}

TEST(FramingError, malformedContentLength) {
  FrameResult r = frameOf(message("Content-Length: -1", ""));
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_EQ(r.error, "Malformed Content-Length");
}

TEST(FramingError, conflictingContentLength) {
  FrameResult r = frameOf(message("Content-Length: 1\r\nl: 2", "ab"));
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_EQ(r.error, "Conflicting Content-Length");
}

TEST(FramingError, bodyTooLarge) {
  FrameResult r = frameOf(message("Content-Length: 65537", ""));
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_EQ(r.error, "Body Too Large");
}

TEST(FramingError, lengthOverflow) {
  FrameResult r = frameOf(message("Content-Length: 99999999999999999999999", ""));
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_EQ(r.error, "Body Too Large");
}

TEST(FramingError, headersTooLarge) {
  std::string m = "INVITE sip:bob@example.com SIP/2.0\r\n";
  while (m.size() < kMaxHeader) m += "X-Filler: 0123456789012345678901234567890123456789\r\n";
  FrameResult r = frameOf(m);
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_EQ(r.error, "Headers Too Large");
}

TEST(FramingError, headersExactlyAtLimitAreFine) {
  std::string m = message("Content-Length: 0", "");
  FrameResult r = frame(m, m.size(), kMaxBody);
  EXPECT_TRUE(r.complete());
  r = frame(m, m.size() - 1, kMaxBody);
  EXPECT_EQ(r.error, "Headers Too Large");
}

}  // namespace
}  // namespace tandem::sip
