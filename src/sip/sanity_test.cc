// Sanity check tests: one request per failure mode, exact status and reason.
#include "sip/sanity.h"

#include <gtest/gtest.h>

#include <string>

#include "sip/message.h"

namespace tandem::sip {
namespace {

const char* const kVia = "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n";
const char* const kFrom = "From: <sip:a@example.com>;tag=1\r\n";
const char* const kTo = "To: <sip:b@example.com>\r\n";
const char* const kCallId = "Call-ID: c1\r\n";

struct Checked {
  Checked(const std::string& startLine, const std::string& headers, const SanityOptions& opts = {})
      : data(startLine + "\r\n" + headers + "Content-Length: 0\r\n\r\n") {
    msg.parse(data);
    outcome = checkRequest(msg, opts);
  }
  std::string data;
  Message msg;
  SanityOutcome outcome;
};

std::string all(const std::string& cseq = "CSeq: 1 OPTIONS\r\n") {
  return std::string(kVia) + kFrom + kTo + kCallId + cseq;
}

const std::string kOptions = "OPTIONS sip:b@example.com SIP/2.0";

void expectOutcome(const Checked& c, int status, std::string_view reason) {
  EXPECT_EQ(c.outcome.status, status) << c.data;
  EXPECT_EQ(c.outcome.reason, reason) << c.data;
}

TEST(Sanity, goodRequestPasses) {
  Checked c(kOptions, all() + "Max-Forwards: 70\r\n");
  EXPECT_TRUE(c.outcome.ok()) << c.outcome.reason;
}

TEST(Sanity, maxForwardsIsNotMandatory) {
  Checked c(kOptions, all());
  EXPECT_TRUE(c.outcome.ok());
}

TEST(Sanity, sipsAndTelAreRouted) {
  EXPECT_TRUE(Checked("OPTIONS sips:b@example.com SIP/2.0", all()).outcome.ok());
  EXPECT_TRUE(Checked("OPTIONS tel:+15551234 SIP/2.0", all()).outcome.ok());
}

TEST(Sanity, requireIsForTheUas) {
  EXPECT_TRUE(Checked(kOptions, all() + "Require: foo\r\n").outcome.ok());
}

TEST(Sanity, ackAndCancelWithMatchingCSeq) {
  EXPECT_TRUE(Checked("ACK sip:b@example.com SIP/2.0", all("CSeq: 1 ACK\r\n")).outcome.ok());
  EXPECT_TRUE(Checked("CANCEL sip:b@example.com SIP/2.0", all("CSeq: 1 CANCEL\r\n")).outcome.ok());
}

TEST(SanityError, parseFailureIsPassedThrough) {
  Checked c("OPTIONS sip:b@example.com SIP/2.1", all());
  expectOutcome(c, 505, "Version Not Supported");
  EXPECT_TRUE(c.outcome.respondable);
}

TEST(SanityError, missingVia) {
  Checked c(kOptions, std::string(kFrom) + kTo + kCallId + "CSeq: 1 OPTIONS\r\n");
  expectOutcome(c, 400, "Bad Request - Missing Via");
  EXPECT_FALSE(c.outcome.respondable);
}

TEST(SanityError, missingFrom) {
  expectOutcome(Checked(kOptions, std::string(kVia) + kTo + kCallId + "CSeq: 1 OPTIONS\r\n"), 400,
                "Bad Request - Missing From");
}

TEST(SanityError, missingTo) {
  expectOutcome(Checked(kOptions, std::string(kVia) + kFrom + kCallId + "CSeq: 1 OPTIONS\r\n"), 400,
                "Bad Request - Missing To");
}

TEST(SanityError, missingCallId) {
  expectOutcome(Checked(kOptions, std::string(kVia) + kFrom + kTo + "CSeq: 1 OPTIONS\r\n"), 400,
                "Bad Request - Missing Call-ID");
}

TEST(SanityError, missingCSeq) {
  expectOutcome(Checked(kOptions, std::string(kVia) + kFrom + kTo + kCallId), 400,
                "Bad Request - Missing CSeq");
}

TEST(SanityError, duplicateFrom) {
  expectOutcome(Checked(kOptions, all() + kFrom), 400, "Bad Request - Duplicate From");
}

TEST(SanityError, secondFromValueOnOneLine) {
  expectOutcome(Checked(kOptions, std::string(kVia) + "From: <sip:a@x>;tag=1, <sip:c@x>\r\n" + kTo +
                                      kCallId + "CSeq: 1 OPTIONS\r\n"),
                400, "Bad Request - Duplicate From");
}

TEST(SanityError, duplicateTo) {
  expectOutcome(Checked(kOptions, all() + kTo), 400, "Bad Request - Duplicate To");
}

TEST(SanityError, secondToValueOnOneLine) {
  expectOutcome(Checked(kOptions, std::string(kVia) + kFrom + "To: sip:b@x, sip:c@x\r\n" + kCallId +
                                      "CSeq: 1 OPTIONS\r\n"),
                400, "Bad Request - Duplicate To");
}

TEST(SanityError, duplicateCallId) {
  expectOutcome(Checked(kOptions, all() + "i: c2\r\n"), 400, "Bad Request - Duplicate Call-ID");
}

TEST(SanityError, duplicateCSeq) {
  expectOutcome(Checked(kOptions, all() + "CSeq: 2 OPTIONS\r\n"), 400,
                "Bad Request - Duplicate CSeq");
}

TEST(SanityError, duplicateMaxForwards) {
  expectOutcome(Checked(kOptions, all() + "Max-Forwards: 70\r\nMax-Forwards: 5\r\n"), 400,
                "Bad Request - Duplicate Max-Forwards");
}

TEST(SanityError, duplicateContentType) {
  expectOutcome(Checked(kOptions, all() + "c: text/plain\r\nContent-Type: text/html\r\n"), 400,
                "Bad Request - Duplicate Content-Type");
}

TEST(SanityError, duplicateExpires) {
  expectOutcome(Checked(kOptions, all() + "Expires: 60\r\nExpires: 60\r\n"), 400,
                "Bad Request - Duplicate Expires");
}

TEST(SanityError, starContactWithOthers) {
  expectOutcome(Checked("REGISTER sip:example.com SIP/2.0",
                        all("CSeq: 1 REGISTER\r\n") + "Contact: *\r\nContact: <sip:a@h>\r\n"),
                400, "Bad Request - Malformed Contact");
}

TEST(SanityError, cseqMethodMismatch) {
  expectOutcome(Checked(kOptions, all("CSeq: 1 INVITE\r\n")), 400,
                "Bad Request - CSeq Method Mismatch");
}

TEST(SanityError, ackWithInviteCSeq) {
  expectOutcome(Checked("ACK sip:b@example.com SIP/2.0", all("CSeq: 1 INVITE\r\n")), 400,
                "Bad Request - CSeq Method Mismatch");
}

TEST(SanityError, cseqMethodIsCaseSensitive) {
  expectOutcome(Checked(kOptions, all("CSeq: 1 options\r\n")), 400,
                "Bad Request - CSeq Method Mismatch");
}

TEST(SanityError, unsupportedUriScheme) {
  Checked c("OPTIONS http://example.com/ SIP/2.0", all());
  expectOutcome(c, 416, "Unsupported URI Scheme");
}

TEST(SanityError, tooManyHops) {
  Checked c(kOptions, all() + "Max-Forwards: 0\r\n");
  expectOutcome(c, 483, "Too Many Hops");
  EXPECT_TRUE(c.outcome.tooManyHops);
}

TEST(SanityError, tooManyHopsExemptedByCaller) {
  SanityOptions opts;
  opts.ignoreMaxForwards = true;
  EXPECT_TRUE(Checked(kOptions, all() + "Max-Forwards: 0\r\n", opts).outcome.ok());
}

TEST(SanityError, badExtension) {
  Checked c(kOptions, all() + "Proxy-Require: foo, sec-agree\r\nProxy-Require: bar\r\n");
  expectOutcome(c, 420, "Bad Extension");
  EXPECT_TRUE(c.outcome.badExtension);
  std::string tags;
  appendUnsupported(c.msg, {}, tags);
  EXPECT_EQ(tags, "foo, sec-agree, bar");
}

TEST(SanityError, badExtensionListsOnlyUnsupportedTags) {
  std::string_view supported[] = {"sec-agree"};
  SanityOptions opts;
  opts.supportedProxyRequire = supported;
  Checked c(kOptions, all() + "Proxy-Require: foo, sec-agree\r\n", opts);
  expectOutcome(c, 420, "Bad Extension");
  std::string tags;
  appendUnsupported(c.msg, opts, tags);
  EXPECT_EQ(tags, "foo");
  EXPECT_TRUE(Checked(kOptions, all() + "Proxy-Require: sec-agree\r\n", opts).outcome.ok());
}

TEST(SanityError, responseIsNotARequest) {
  std::string d = "SIP/2.0 200 OK\r\n" + all() + "Content-Length: 0\r\n\r\n";
  Message m;
  m.parse(d);
  SanityOutcome o = checkRequest(m);
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - Not A Request");
  EXPECT_FALSE(o.respondable);
}

}  // namespace
}  // namespace tandem::sip
