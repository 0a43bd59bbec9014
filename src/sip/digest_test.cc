// Digest authentication: RFC test vectors, challenge text, nonce validity and nonce-count
// tracking, and one named test per verification outcome.
#include "sip/digest.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "sip/auth.h"

namespace tandem::sip::digest {
namespace {

constexpr std::string_view kRealm = "example.com";
constexpr int64_t kNow = 1'700'000'000;
constexpr uint32_t kLifetime = 300;

// ---- RFC vectors

TEST(DigestVectors, Rfc7616Md5) {
  constexpr std::string_view kNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  constexpr std::string_view kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  Result<std::string> h = ha1(Algorithm::kMd5, "Mufasa", "http-auth@example.org", "Circle of Life");
  ASSERT_TRUE(h);
  Result<std::string> r = computeResponse(Algorithm::kMd5, *h, kNonce, "00000001", kCnonce, "auth",
                                          "GET", "/dir/index.html");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestVectors, Rfc7616Sha256) {
  constexpr std::string_view kNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  constexpr std::string_view kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  Result<std::string> h =
      ha1(Algorithm::kSha256, "Mufasa", "http-auth@example.org", "Circle of Life");
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
  Result<std::string> r = computeResponse(Algorithm::kSha256, *h, kNonce, "00000001", kCnonce,
                                          "auth", "GET", "/dir/index.html");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestVectors, Rfc2617Section3_5) {
  Result<std::string> h = ha1(Algorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, "939e7578ed9e3c518a452acee763bce9");
  Result<std::string> r = computeResponse(Algorithm::kMd5, *h, "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                                          "00000001", "0a4f113b", "auth", "GET", "/dir/index.html");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "6629fae49393a05397450978507c4ef1");
}

// RFC 2069's example with its erratum applied (the printed response was wrong).
TEST(DigestVectors, Rfc2069WithoutQop) {
  Result<std::string> h = ha1(Algorithm::kMd5, "Mufasa", "testrealm@host.com", "CircleOfLife");
  ASSERT_TRUE(h);
  Result<std::string> r = computeResponse(Algorithm::kMd5, *h, "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                                          "", "", "", "GET", "/dir/index.html");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "1949323746fe6a43ef61f9606e7febea");
}

TEST(DigestVectors, UppercaseHa1IsHashedLowercase) {
  Result<std::string> lower = computeResponse(Algorithm::kMd5, "939e7578ed9e3c518a452acee763bce9",
                                              "n", "00000001", "c", "auth", "GET", "/");
  Result<std::string> upper = computeResponse(Algorithm::kMd5, "939E7578ED9E3C518A452ACEE763BCE9",
                                              "n", "00000001", "c", "auth", "GET", "/");
  ASSERT_TRUE(lower && upper);
  EXPECT_EQ(*lower, *upper);
}

TEST(DigestVectors, ComputeResponseRejectsHa1OfWrongLength) {
  Result<std::string> r = computeResponse(Algorithm::kSha256, "939e7578ed9e3c518a452acee763bce9",
                                          "n", "00000001", "c", "auth", "GET", "/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "HA1 is not 64 hex digits");
}

TEST(DigestVectors, ComputeResponseRejectsNonHexHa1) {
  Result<std::string> r = computeResponse(Algorithm::kMd5, "939e7578ed9e3c518a452acee763bcez", "n",
                                          "00000001", "c", "auth", "GET", "/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "HA1 is not 32 hex digits");
}

// RFC 4231 test case 2: the nonce MAC is plain HMAC-SHA256.
TEST(DigestVectors, HmacSha256Rfc4231Case2) {
  Result<std::string> mac = detail::hmacSha256Hex("Jefe", "what do ya want for nothing?");
  ASSERT_TRUE(mac);
  EXPECT_EQ(*mac, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// ---- algorithms and challenges

TEST(DigestAlgorithm, ParsesWireNamesCaseInsensitively) {
  EXPECT_EQ(parseAlgorithm("MD5"), Algorithm::kMd5);
  EXPECT_EQ(parseAlgorithm("md5"), Algorithm::kMd5);
  EXPECT_EQ(parseAlgorithm("SHA-256"), Algorithm::kSha256);
  EXPECT_EQ(parseAlgorithm("sha-256"), Algorithm::kSha256);
  EXPECT_EQ(algorithmName(Algorithm::kMd5), "MD5");
  EXPECT_EQ(algorithmName(Algorithm::kSha256), "SHA-256");
}

TEST(DigestAlgorithm, SessVariantsAndUnknownNamesAreUnsupported) {
  EXPECT_EQ(parseAlgorithm("MD5-sess"), std::nullopt);
  EXPECT_EQ(parseAlgorithm("SHA-256-sess"), std::nullopt);
  EXPECT_EQ(parseAlgorithm("SHA-512-256"), std::nullopt);
  EXPECT_EQ(parseAlgorithm("SHA256"), std::nullopt);
  EXPECT_EQ(parseAlgorithm(""), std::nullopt);
}

TEST(DigestChallenge, Md5Text) {
  EXPECT_EQ(challenge("example.com", "NONCE", Algorithm::kMd5, false),
            R"(Digest realm="example.com", nonce="NONCE", algorithm=MD5, qop="auth")");
}

TEST(DigestChallenge, Sha256Text) {
  EXPECT_EQ(challenge("example.com", "NONCE", Algorithm::kSha256, false),
            R"(Digest realm="example.com", nonce="NONCE", algorithm=SHA-256, qop="auth")");
}

TEST(DigestChallenge, StaleAppendsStaleTrue) {
  EXPECT_EQ(challenge("example.com", "NONCE", Algorithm::kMd5, true),
            R"(Digest realm="example.com", nonce="NONCE", algorithm=MD5, qop="auth", stale=true)");
}

TEST(DigestChallenge, RealmIsEscapedAsQuotedString) {
  EXPECT_EQ(challenge(R"(a"b\c)", "NONCE", Algorithm::kMd5, false),
            R"(Digest realm="a\"b\\c", nonce="NONCE", algorithm=MD5, qop="auth")");
}

TEST(DigestChallenge, AppendKeepsWhatIsThere) {
  std::string out = "WWW-Authenticate: ";
  appendChallenge(out, "example.com", "N", Algorithm::kSha256, false);
  EXPECT_EQ(
      out,
      R"(WWW-Authenticate: Digest realm="example.com", nonce="N", algorithm=SHA-256, qop="auth")");
}

// ---- nonces

std::string issueText(NonceService& s, int64_t nowS) {
  std::optional<NonceText> n = s.issue(nowS);
  EXPECT_TRUE(n.has_value());
  return n ? std::string(n->view()) : std::string();
}

TEST(DigestNonce, IssuedNonceIsValidAndQuotedStringSafe) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  ASSERT_EQ(n.size(), 32u);
  for (char c : n) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/') << n;
  }
  EXPECT_EQ(s.check(n, kNow), NonceState::kValid);
}

TEST(DigestNonce, EachIssueIsDifferent) {
  NonceService s("secret", kLifetime, 64);
  EXPECT_NE(issueText(s, kNow), issueText(s, kNow));
}

TEST(DigestNonce, ValidUntilLifetimeEnds) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  EXPECT_EQ(s.check(n, kNow + kLifetime), NonceState::kValid);
}

TEST(DigestNonce, ExpiredIsStale) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  EXPECT_EQ(s.check(n, kNow + kLifetime + 1), NonceState::kStale);
}

TEST(DigestNonce, SlightlyFutureIsValid) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow + NonceService::kClockSkewSeconds);
  EXPECT_EQ(s.check(n, kNow), NonceState::kValid);
}

TEST(DigestNonce, FutureBeyondSkewIsInvalid) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow + NonceService::kClockSkewSeconds + 1);
  EXPECT_EQ(s.check(n, kNow), NonceState::kInvalid);
}

TEST(DigestNonce, TamperedIsInvalid) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  for (size_t i : {size_t{0}, size_t{11}, size_t{31}}) {
    std::string t = n;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(s.check(t, kNow), NonceState::kInvalid) << i;
  }
}

TEST(DigestNonce, BadEncodingIsInvalid) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  EXPECT_EQ(s.check("", kNow), NonceState::kInvalid);
  EXPECT_EQ(s.check(n.substr(1), kNow), NonceState::kInvalid);
  EXPECT_EQ(s.check(n + "A", kNow), NonceState::kInvalid);
  EXPECT_EQ(s.check(n.substr(0, 31) + "=", kNow), NonceState::kInvalid);
  EXPECT_EQ(s.check(n.substr(0, 31) + "-", kNow), NonceState::kInvalid);
  EXPECT_EQ(s.check(std::string(32, '\0'), kNow), NonceState::kInvalid);
  EXPECT_EQ(s.check("dcd98b7102dd2f0e8b11d0f600bfb0c093", kNow), NonceState::kInvalid);
}

TEST(DigestNonce, SameSecretOnAnotherServiceIsValid) {
  NonceService edgeA("shared", kLifetime, 64);
  NonceService edgeB("shared", kLifetime, 64);
  EXPECT_EQ(edgeA.check(issueText(edgeB, kNow), kNow), NonceState::kValid);
}

TEST(DigestNonce, OtherSecretIsInvalid) {
  NonceService edgeA("shared", kLifetime, 64);
  NonceService other("different", kLifetime, 64);
  EXPECT_EQ(edgeA.check(issueText(other, kNow), kNow), NonceState::kInvalid);
}

TEST(DigestNonce, SizesAreClampedAndRounded) {
  NonceService s("secret", 0, 5);
  EXPECT_EQ(s.lifetimeSeconds(), 1u);
  EXPECT_EQ(s.trackerSlots(), 8u);
  NonceService big("secret", 1u << 30, 0);
  EXPECT_EQ(big.lifetimeSeconds(), NonceService::kMaxLifetimeSeconds);
  EXPECT_EQ(big.trackerSlots(), 1u);
}

// ---- nonce-count tracking

TEST(DigestNonceCount, StrictlyIncreasingIsAccepted) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  EXPECT_EQ(s.recordNonceCount(n, 1, kNow), NonceCountState::kAccepted);
  EXPECT_EQ(s.recordNonceCount(n, 2, kNow), NonceCountState::kAccepted);
  EXPECT_EQ(s.recordNonceCount(n, 7, kNow + 1), NonceCountState::kAccepted);
}

TEST(DigestNonceCount, RepeatIsReplayed) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  EXPECT_EQ(s.recordNonceCount(n, 1, kNow), NonceCountState::kAccepted);
  EXPECT_EQ(s.recordNonceCount(n, 1, kNow), NonceCountState::kReplayed);
}

TEST(DigestNonceCount, LowerIsReplayed) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  EXPECT_EQ(s.recordNonceCount(n, 5, kNow), NonceCountState::kAccepted);
  EXPECT_EQ(s.recordNonceCount(n, 4, kNow), NonceCountState::kReplayed);
  EXPECT_EQ(s.recordNonceCount(n, 6, kNow), NonceCountState::kAccepted);
}

TEST(DigestNonceCount, ZeroIsReplayed) {
  NonceService s("secret", kLifetime, 64);
  EXPECT_EQ(s.recordNonceCount(issueText(s, kNow), 0, kNow), NonceCountState::kReplayed);
}

TEST(DigestNonceCount, BeyondTrackedRangeIsStale) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  EXPECT_EQ(s.recordNonceCount(n, NonceService::kMaxNonceCount, kNow), NonceCountState::kAccepted);
  EXPECT_EQ(s.recordNonceCount(n, NonceService::kMaxNonceCount + 1, kNow), NonceCountState::kStale);
}

TEST(DigestNonceCount, NoncesAreTrackedIndependently) {
  NonceService s("secret", kLifetime, 64);
  std::string a = issueText(s, kNow);
  std::string b = issueText(s, kNow);
  EXPECT_EQ(s.recordNonceCount(a, 3, kNow), NonceCountState::kAccepted);
  EXPECT_EQ(s.recordNonceCount(b, 1, kNow), NonceCountState::kAccepted);
  EXPECT_EQ(s.recordNonceCount(a, 3, kNow), NonceCountState::kReplayed);
}

TEST(DigestNonceCount, ExpiredIsStale) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  EXPECT_EQ(s.recordNonceCount(n, 1, kNow + kLifetime + 1), NonceCountState::kStale);
}

TEST(DigestNonceCount, TamperedIsInvalid) {
  NonceService s("secret", kLifetime, 64);
  std::string n = issueText(s, kNow);
  n[5] = n[5] == 'x' ? 'y' : 'x';
  EXPECT_EQ(s.recordNonceCount(n, 1, kNow), NonceCountState::kInvalid);
}

// Serials are consecutive, so the slot count-th nonce after one lands in its slot.
TEST(DigestNonceCount, DisplacedFromItsSlotIsStaleForGood) {
  NonceService s("secret", kLifetime, 4);
  std::string old = issueText(s, kNow);
  ASSERT_EQ(s.recordNonceCount(old, 1, kNow), NonceCountState::kAccepted);
  std::vector<std::string> newer;
  newer.reserve(4);
  for (int i = 0; i < 4; ++i) newer.push_back(issueText(s, kNow));
  EXPECT_EQ(s.check(old, kNow), NonceState::kValid);  // newer ones not used yet
  for (const std::string& n : newer) {
    EXPECT_EQ(s.recordNonceCount(n, 1, kNow), NonceCountState::kAccepted);
  }
  EXPECT_EQ(s.check(old, kNow), NonceState::kStale);
  EXPECT_EQ(s.recordNonceCount(old, 2, kNow), NonceCountState::kStale);
  EXPECT_EQ(s.recordNonceCount(old, 1, kNow + 1), NonceCountState::kStale);
  // The newer one keeps its own count.
  EXPECT_EQ(s.recordNonceCount(newer[3], 1, kNow), NonceCountState::kReplayed);
  EXPECT_EQ(s.recordNonceCount(newer[3], 2, kNow), NonceCountState::kAccepted);
}

TEST(DigestNonceCount, OlderNonceCannotTakeANewerOnesSlot) {
  NonceService s("secret", kLifetime, 1);
  std::string older = issueText(s, kNow);
  std::string newer = issueText(s, kNow + 1);
  ASSERT_EQ(s.recordNonceCount(newer, 1, kNow + 1), NonceCountState::kAccepted);
  EXPECT_EQ(s.recordNonceCount(older, 1, kNow + 1), NonceCountState::kStale);
}

TEST(DigestNonceCount, SlotOfAnExpiredNonceIsReused) {
  NonceService s("secret", kLifetime, 1);
  std::string first = issueText(s, kNow);
  ASSERT_EQ(s.recordNonceCount(first, 9, kNow), NonceCountState::kAccepted);
  int64_t later = kNow + kLifetime + 10;
  std::string second = issueText(s, later);
  EXPECT_EQ(s.recordNonceCount(second, 1, later), NonceCountState::kAccepted);
}

TEST(DigestNonceCount, ForeignNonceIsTrackedToo) {
  NonceService edgeA("shared", kLifetime, 64);
  NonceService edgeB("shared", kLifetime, 64);
  std::string n = issueText(edgeB, kNow);
  EXPECT_EQ(edgeA.recordNonceCount(n, 1, kNow), NonceCountState::kAccepted);
  EXPECT_EQ(edgeA.recordNonceCount(n, 1, kNow), NonceCountState::kReplayed);
  // Per process: edge B has its own record.
  EXPECT_EQ(edgeB.recordNonceCount(n, 1, kNow), NonceCountState::kAccepted);
}

TEST(DigestNonceCount, ConcurrentRecordsAcceptEachCountAtMostOnce) {
  NonceService s("secret", kLifetime, 16);
  std::string n = issueText(s, kNow);
  constexpr uint32_t kCounts = 2000;
  std::atomic<uint32_t> accepted{0};
  auto worker = [&] {
    for (uint32_t nc = 1; nc <= kCounts; ++nc) {
      if (s.recordNonceCount(n, nc, kNow) == NonceCountState::kAccepted) ++accepted;
    }
  };
  std::thread t1(worker);
  std::thread t2(worker);
  t1.join();
  t2.join();
  EXPECT_GE(accepted.load(), kCounts);  // every count was accepted by one thread or the other
  EXPECT_LE(accepted.load(), kCounts);
  EXPECT_EQ(s.recordNonceCount(n, kCounts, kNow), NonceCountState::kReplayed);
}

// ---- verify

// A client answering one challenge value.
struct Answer {
  std::string username = "alice";
  std::string password = "secret-pw";
  std::string realm = std::string(kRealm);
  std::string nonce;
  std::string uri = "sip:example.com";
  std::string method = "REGISTER";
  std::string nc = "00000001";
  std::string cnonce = "0a4f113b";
  std::string qop = "auth";
  std::optional<Algorithm> algorithm = Algorithm::kMd5;  // nullopt: parameter left out

  std::string header() const {
    Algorithm a = algorithm.value_or(Algorithm::kMd5);
    std::string response = *computeResponse(a, *ha1(a, username, realm, password), nonce, nc,
                                            cnonce, qop, method, uri);
    std::string h = "Digest username=\"" + username + "\", realm=\"" + realm + "\", nonce=\"" +
                    nonce + "\", uri=\"" + uri + "\", response=\"" + response + "\"";
    if (algorithm) h += ", algorithm=" + std::string(algorithmName(*algorithm));
    if (!qop.empty()) h += ", qop=" + qop + ", nc=" + nc + ", cnonce=\"" + cnonce + "\"";
    return h;
  }
};

class DigestVerify : public ::testing::Test {
 protected:
  DigestVerify() {
    addUser("alice", "secret-pw");
    addUser("bob", "other-pw");
  }

  void addUser(const std::string& user, const std::string& password) {
    for (Algorithm a : {Algorithm::kMd5, Algorithm::kSha256}) {
      ha1s_[{user, a}] = *ha1(a, user, kRealm, password);
    }
  }

  Verdict run(std::vector<std::string> headers, std::string_view method = "REGISTER",
              int64_t nowS = kNow, VerifyOptions options = {}) {
    headers_ = std::move(headers);
    views_.assign(headers_.begin(), headers_.end());
    VerifyInput in;
    in.credentials = views_;
    in.method = method;
    in.realm = kRealm;
    in.nowS = nowS;
    return verify(nonces_, in, lookup_, options);
  }
  Verdict send(const Answer& a, int64_t nowS = kNow) { return run({a.header()}, a.method, nowS); }

  Answer answer() {
    Answer a;
    a.nonce = issueText(nonces_, kNow);
    return a;
  }

  NonceService nonces_{"edge-secret", kLifetime, 256};
  std::map<std::pair<std::string, Algorithm>, std::string> ha1s_;
  int lookups_ = 0;
  std::string lastLookupUser_;
  Ha1Lookup lookup_ = [this](std::string_view user, std::string_view realm,
                             Algorithm a) -> std::optional<std::string_view> {
    ++lookups_;
    lastLookupUser_ = std::string(user);
    if (realm != kRealm) return std::nullopt;
    auto it = ha1s_.find({std::string(user), a});
    if (it == ha1s_.end()) return std::nullopt;
    return it->second;
  };
  std::vector<std::string> headers_;
  std::vector<std::string_view> views_;
};

// Answers the challenge text itself, as a client would.
Answer answerChallenge(std::string_view challengeText) {
  Credentials c;
  EXPECT_TRUE(parseCredentials(challengeText, &c));
  EXPECT_EQ(c.scheme, AuthScheme::kDigest);
  Answer a;
  a.realm = std::string(c.param("realm").value_or(""));
  a.nonce = std::string(c.param("nonce").value_or(""));
  a.algorithm = parseAlgorithm(c.param("algorithm").value_or(""));
  a.qop = std::string(c.param("qop").value_or(""));
  a.method = "INVITE";
  a.uri = "sip:bob@example.com";
  return a;
}

TEST_F(DigestVerify, RoundTripMd5) {
  std::optional<NonceText> n = nonces_.issue(kNow);
  ASSERT_TRUE(n);
  Answer a = answerChallenge(challenge(kRealm, *n, Algorithm::kMd5, false));
  ASSERT_EQ(a.algorithm, Algorithm::kMd5);
  Verdict v = run({a.header()}, "INVITE", kNow + 1);
  EXPECT_EQ(v.outcome, Outcome::kOk);
  EXPECT_EQ(v.username, "alice");
  EXPECT_EQ(v.uri, "sip:bob@example.com");
  EXPECT_EQ(v.algorithm, Algorithm::kMd5);
}

TEST_F(DigestVerify, RoundTripSha256) {
  std::optional<NonceText> n = nonces_.issue(kNow);
  ASSERT_TRUE(n);
  Answer a = answerChallenge(challenge(kRealm, *n, Algorithm::kSha256, false));
  ASSERT_EQ(a.algorithm, Algorithm::kSha256);
  Verdict v = run({a.header()}, "INVITE", kNow + 1);
  EXPECT_EQ(v.outcome, Outcome::kOk);
  EXPECT_EQ(v.username, "alice");
  EXPECT_EQ(v.algorithm, Algorithm::kSha256);
}

TEST_F(DigestVerify, GoodPassword) {
  Verdict v = send(answer());
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(outcomeName(v.outcome), "ok");
  EXPECT_EQ(lastLookupUser_, "alice");
}

TEST_F(DigestVerify, WrongPassword) {
  Answer a = answer();
  a.password = "guess";
  Verdict v = send(a);
  EXPECT_EQ(v.outcome, Outcome::kWrongPassword);
  EXPECT_EQ(v.username, "alice");
}

TEST_F(DigestVerify, WrongMethodIsWrongPassword) {
  Answer a = answer();
  Verdict v = run({a.header()}, "INVITE");
  EXPECT_EQ(v.outcome, Outcome::kWrongPassword);
}

TEST_F(DigestVerify, UnknownUser) {
  Answer a = answer();
  a.username = "mallory";
  Verdict v = send(a);
  EXPECT_EQ(v.outcome, Outcome::kUnknownUser);
  EXPECT_EQ(v.username, "mallory");
}

TEST_F(DigestVerify, UppercaseResponseHexIsAccepted) {
  Answer a = answer();
  std::string h = a.header();
  size_t at = h.find("response=\"") + 10;
  for (size_t i = at; i < at + 32; ++i) h[i] = static_cast<char>(std::toupper(h[i]));
  EXPECT_EQ(run({h}).outcome, Outcome::kOk);
}

TEST_F(DigestVerify, StaleNonceIsRechallengedWithStaleTrue) {
  Answer a = answer();
  Verdict v = send(a, kNow + kLifetime + 1);
  EXPECT_EQ(v.outcome, Outcome::kStaleNonce);
  ASSERT_TRUE(v.stale());
  EXPECT_EQ(challenge(kRealm, "NEW", v.algorithm, v.stale()),
            R"(Digest realm="example.com", nonce="NEW", algorithm=MD5, qop="auth", stale=true)");
}

// stale=true promises the credentials were right; a wrong password on an old nonce is no promise.
TEST_F(DigestVerify, StaleNonceWithWrongPasswordIsWrongPassword) {
  Answer a = answer();
  a.password = "guess";
  EXPECT_EQ(send(a, kNow + kLifetime + 1).outcome, Outcome::kWrongPassword);
}

TEST_F(DigestVerify, TamperedNonceIsInvalid) {
  Answer a = answer();
  a.nonce[3] =
      a.nonce[3] == 'Q' ? 'R' : 'Q';  // the response is computed over it: only the MAC fails
  Verdict v = send(a);
  EXPECT_EQ(v.outcome, Outcome::kInvalidNonce);
  EXPECT_EQ(lookups_, 0);
}

TEST_F(DigestVerify, ForeignFormatNonceIsInvalid) {
  Answer a = answer();
  a.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  EXPECT_EQ(send(a).outcome, Outcome::kInvalidNonce);
}

TEST_F(DigestVerify, FutureNonceIsInvalid) {
  Answer a = answer();
  a.nonce = issueText(nonces_, kNow + 60);
  EXPECT_EQ(send(a).outcome, Outcome::kInvalidNonce);
}

TEST_F(DigestVerify, ReplayedNonceCount) {
  Answer a = answer();
  ASSERT_EQ(send(a).outcome, Outcome::kOk);
  Verdict v = send(a);
  EXPECT_EQ(v.outcome, Outcome::kReplayedNonceCount);
  EXPECT_EQ(outcomeName(v.outcome), "replayed-nonce-count");
}

TEST_F(DigestVerify, LowerNonceCountIsReplayed) {
  Answer a = answer();
  a.nc = "00000005";
  ASSERT_EQ(send(a).outcome, Outcome::kOk);
  a.nc = "00000004";
  EXPECT_EQ(send(a).outcome, Outcome::kReplayedNonceCount);
}

TEST_F(DigestVerify, IncreasingNonceCountIsAccepted) {
  Answer a = answer();
  for (const char* nc : {"00000001", "00000002", "0000000a", "0000000B"}) {
    a.nc = nc;
    EXPECT_EQ(send(a).outcome, Outcome::kOk) << nc;
  }
}

// A forged request must not burn the real client's counts.
TEST_F(DigestVerify, WrongPasswordDoesNotRecordNonceCount) {
  Answer a = answer();
  Answer forged = a;
  forged.password = "guess";
  forged.nc = "00000009";
  ASSERT_EQ(send(forged).outcome, Outcome::kWrongPassword);
  EXPECT_EQ(send(a).outcome, Outcome::kOk);
}

TEST_F(DigestVerify, NonceDisplacedFromTrackerIsStale) {
  NonceService small("edge-secret", kLifetime, 1);
  Answer a;
  a.nonce = issueText(small, kNow);
  Answer b;
  b.nonce = issueText(small, kNow + 1);
  std::string hb = b.header();
  std::string_view vb = hb;
  VerifyInput in{std::span<const std::string_view>(&vb, 1), "REGISTER", kRealm, kNow + 1};
  ASSERT_EQ(verify(small, in, lookup_).outcome, Outcome::kOk);
  std::string haText = a.header();
  std::string_view va = haText;
  in.credentials = std::span<const std::string_view>(&va, 1);
  EXPECT_EQ(verify(small, in, lookup_).outcome, Outcome::kStaleNonce);
}

TEST_F(DigestVerify, NonceFromAnotherEdgeIsAccepted) {
  NonceService otherEdge("edge-secret", kLifetime, 256);
  Answer a;
  a.nonce = issueText(otherEdge, kNow);
  EXPECT_EQ(send(a).outcome, Outcome::kOk);
  EXPECT_EQ(send(a).outcome, Outcome::kReplayedNonceCount);
}

TEST_F(DigestVerify, NonceUnderAnotherSecretIsInvalid) {
  NonceService stranger("not-our-secret", kLifetime, 256);
  Answer a;
  a.nonce = issueText(stranger, kNow);
  EXPECT_EQ(send(a).outcome, Outcome::kInvalidNonce);
}

TEST_F(DigestVerify, NoHeadersIsNoCredentials) {
  Verdict v = run(std::vector<std::string>{});
  EXPECT_EQ(v.outcome, Outcome::kNoCredentials);
  EXPECT_EQ(v.username, "");
}

// RFC 4475 regaut01: an unknown scheme is ignored and answered with a challenge.
TEST_F(DigestVerify, UnknownSchemeIsIgnored) {
  Verdict v = run({"NoOneKnowsThisScheme opaque-data=here"});
  EXPECT_EQ(v.outcome, Outcome::kNoCredentials);
  EXPECT_EQ(outcomeName(v.outcome), "no-credentials");
  EXPECT_EQ(lookups_, 0);
}

TEST_F(DigestVerify, UnknownSchemeBeforeDigestIsSkipped) {
  Answer a = answer();
  EXPECT_EQ(run({"NoOneKnowsThisScheme opaque-data=here", a.header()}).outcome, Outcome::kOk);
}

TEST_F(DigestVerify, BasicIsIgnored) {
  EXPECT_EQ(run({"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}).outcome, Outcome::kNoCredentials);
}

TEST_F(DigestVerify, OnlyOtherRealmsIsNoCredentials) {
  Answer a = answer();
  a.realm = "other.example";
  Answer b = answer();
  b.realm = "Example.com";  // realms compare exactly
  EXPECT_EQ(run({a.header(), b.header()}).outcome, Outcome::kNoCredentials);
  EXPECT_EQ(lookups_, 0);
}

TEST_F(DigestVerify, OurRealmAmongOthersIsChosen) {
  Answer other = answer();
  other.realm = "other.example";
  other.username = "bob";
  Answer ours = answer();
  Verdict v = run({other.header(), ours.header(), "Digest garbage"});
  EXPECT_EQ(v.outcome, Outcome::kOk);
  EXPECT_EQ(v.username, "alice");
}

TEST_F(DigestVerify, SchemeIsCaseInsensitive) {
  Answer a = answer();
  std::string h = a.header();
  h.replace(0, 6, "dIGEST");
  EXPECT_EQ(run({h}).outcome, Outcome::kOk);
}

TEST_F(DigestVerify, MissingAlgorithmMeansMd5) {
  Answer a = answer();
  a.algorithm = std::nullopt;
  Verdict v = send(a);
  EXPECT_EQ(v.outcome, Outcome::kOk);
  EXPECT_EQ(v.algorithm, Algorithm::kMd5);
}

TEST_F(DigestVerify, LowercaseAlgorithmNameIsAccepted) {
  Answer a = answer();
  a.algorithm = Algorithm::kSha256;
  std::string h = a.header();
  h.replace(h.find("SHA-256"), 7, "sha-256");
  Verdict v = run({h});
  EXPECT_EQ(v.outcome, Outcome::kOk);
  EXPECT_EQ(v.algorithm, Algorithm::kSha256);
}

TEST_F(DigestVerify, UnsupportedAlgorithmIsNoCredentials) {
  Answer a = answer();
  std::string h = a.header();
  h.replace(h.find("algorithm=MD5"), 13, "algorithm=MD5-sess");
  EXPECT_EQ(run({h}).outcome, Outcome::kNoCredentials);
}

TEST_F(DigestVerify, SupportedAlgorithmAfterUnsupportedIsChosen) {
  Answer a = answer();
  std::string sess = a.header();
  sess.replace(sess.find("algorithm=MD5"), 13, "algorithm=SHA-512-256");
  a.algorithm = Algorithm::kSha256;
  Verdict v = run({sess, a.header()});
  EXPECT_EQ(v.outcome, Outcome::kOk);
  EXPECT_EQ(v.algorithm, Algorithm::kSha256);
}

TEST_F(DigestVerify, NoQopIsAcceptedByDefault) {
  Answer a = answer();
  a.qop = "";
  EXPECT_EQ(send(a).outcome, Outcome::kOk);
  // RFC 2069 style has no nonce-count: the same request passes again within the lifetime.
  EXPECT_EQ(send(a).outcome, Outcome::kOk);
}

TEST_F(DigestVerify, NoQopIsMalformedWhenDisallowed) {
  Answer a = answer();
  a.qop = "";
  VerifyOptions strict;
  strict.allowNoQop = false;
  EXPECT_EQ(run({a.header()}, a.method, kNow, strict).outcome, Outcome::kMalformed);
}

TEST_F(DigestVerify, NoQopWithStaleNonceIsStale) {
  Answer a = answer();
  a.qop = "";
  EXPECT_EQ(send(a, kNow + kLifetime + 1).outcome, Outcome::kStaleNonce);
}

TEST_F(DigestVerify, QuotedQopIsAccepted) {
  Answer a = answer();
  std::string h = a.header();
  h.replace(h.find("qop=auth"), 8, "qop=\"auth\"");
  EXPECT_EQ(run({h}).outcome, Outcome::kOk);
}

TEST_F(DigestVerify, QuotedPairsAreResolvedInUsername) {
  addUser(R"(a"b)", "pw");
  Answer a = answer();
  a.username = R"(a"b)";
  a.password = "pw";
  std::string h = a.header();
  h.replace(h.find(R"("a"b")"), 5, R"("a\"b")");
  Verdict v = run({h});
  EXPECT_EQ(v.outcome, Outcome::kOk);
  EXPECT_EQ(lastLookupUser_, R"(a"b)");
  EXPECT_EQ(v.username, R"(a\"b)");  // as received
}

TEST_F(DigestVerify, EmptyHa1IsUnknownUser) {
  ha1s_[{"alice", Algorithm::kMd5}] = "";
  EXPECT_EQ(send(answer()).outcome, Outcome::kUnknownUser);
}

TEST_F(DigestVerify, MalformedHa1IsInternalError) {
  ha1s_[{"alice", Algorithm::kMd5}] = "not-hex";
  Verdict v = send(answer());
  EXPECT_EQ(v.outcome, Outcome::kInternalError);
  EXPECT_EQ(outcomeName(v.outcome), "internal-error");
}

TEST_F(DigestVerify, Sha256LookupAsksForSha256Ha1) {
  Answer a = answer();
  a.algorithm = Algorithm::kSha256;
  ha1s_.erase({"alice", Algorithm::kSha256});
  EXPECT_EQ(send(a).outcome, Outcome::kUnknownUser);
}

// ---- malformed credentials: each a named case, each answered 400

struct MalformedCase {
  const char* name;
  // Edits the header a correct client would send.
  std::string (*edit)(const std::string& header);
};

std::string removeParam(const std::string& h, std::string_view name) {
  size_t at = h.find(std::string(name) + "=");
  if (at == std::string::npos) return h;
  size_t end = h.find(", ", at);
  size_t start = at >= 2 && h.compare(at - 2, 2, ", ") == 0 ? at - 2 : at;
  if (end == std::string::npos) return h.substr(0, start);
  return start == at ? h.substr(0, at) + h.substr(end + 2) : h.substr(0, start) + h.substr(end);
}

std::string replaceText(std::string h, std::string_view from, std::string_view to) {
  size_t at = h.find(from);
  if (at != std::string::npos) h.replace(at, from.size(), to);
  return h;
}

const MalformedCase kMalformedCases[] = {
    {"MissingUsername",
     [](const std::string& h) { return replaceText(h, "Digest username=\"alice\", ", "Digest "); }},
    {"EmptyUsername",
     [](const std::string& h) { return replaceText(h, "username=\"alice\"", "username=\"\""); }},
    {"MissingRealm", [](const std::string& h) { return removeParam(h, "realm"); }},
    {"MissingNonce", [](const std::string& h) { return removeParam(h, "nonce"); }},
    {"EmptyNonce",
     [](const std::string& h) {
       size_t at = h.find("nonce=\"") + 7;
       return h.substr(0, at) + h.substr(h.find('"', at));
     }},
    {"MissingUri", [](const std::string& h) { return removeParam(h, "uri"); }},
    {"MissingResponse", [](const std::string& h) { return removeParam(h, "response"); }},
    {"ShortResponse",
     [](const std::string& h) { return replaceText(h, "\", algorithm", "0\", algorithm"); }},
    {"NonHexResponse",
     [](const std::string& h) {
       std::string out = h;
       out[out.find("response=\"") + 10] = 'g';
       return out;
     }},
    {"QopWithoutNc", [](const std::string& h) { return removeParam(h, "nc"); }},
    {"QopWithoutCnonce", [](const std::string& h) { return removeParam(h, "cnonce"); }},
    {"NonHexNc", [](const std::string& h) { return replaceText(h, "nc=00000001", "nc=0000000g"); }},
    {"ShortNc", [](const std::string& h) { return replaceText(h, "nc=00000001", "nc=1"); }},
    {"LongNc", [](const std::string& h) { return replaceText(h, "nc=00000001", "nc=000000001"); }},
    {"ZeroNc", [](const std::string& h) { return replaceText(h, "nc=00000001", "nc=00000000"); }},
    {"QopAuthInt", [](const std::string& h) { return replaceText(h, "qop=auth", "qop=auth-int"); }},
    {"QopList",
     [](const std::string& h) { return replaceText(h, "qop=auth", "qop=\"auth,auth-int\""); }},
    {"QopUnknown", [](const std::string& h) { return replaceText(h, "qop=auth", "qop=token"); }},
};

class DigestMalformed : public DigestVerify, public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(DigestMalformed, IsMalformed) {
  std::string h = GetParam().edit(answer().header());
  Verdict v = run({h});
  EXPECT_EQ(v.outcome, Outcome::kMalformed) << h;
  EXPECT_EQ(outcomeName(v.outcome), "malformed");
  EXPECT_EQ(lookups_, 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, DigestMalformed, ::testing::ValuesIn(kMalformedCases),
                         [](const ::testing::TestParamInfo<MalformedCase>& p) {
                           return std::string(p.param.name);
                         });

TEST_F(DigestVerify, FirstCredentialsForOurRealmDecide) {
  // Only a Digest header without any realm is ambiguous; one with our realm is chosen first.
  Answer a = answer();
  EXPECT_EQ(run({removeParam(a.header(), "uri"), a.header()}).outcome, Outcome::kMalformed);
}

TEST_F(DigestVerify, RealmlessDigestBesideGoodOneIsIgnored) {
  Answer a = answer();
  EXPECT_EQ(run({removeParam(a.header(), "realm"), a.header()}).outcome, Outcome::kOk);
}

TEST_F(DigestVerify, GarbageNeverCrashes) {
  for (const char* h : {"", "Digest", "Digest ,,,", "Digest realm", "Digest realm=\"example.com",
                        "Digest realm=\"example.com\", username=\"\\", "\"quoted\"",
                        "Digest realm=example.com, username=a, nonce=b, uri=c, response=d"}) {
    Verdict v = run({h});
    EXPECT_NE(v.outcome, Outcome::kOk) << h;
  }
}

TEST(DigestOutcome, EveryOutcomeHasAName) {
  EXPECT_EQ(outcomeName(Outcome::kUnknownUser), "unknown-user");
  EXPECT_EQ(outcomeName(Outcome::kWrongPassword), "wrong-password");
  EXPECT_EQ(outcomeName(Outcome::kStaleNonce), "stale-nonce");
  EXPECT_EQ(outcomeName(Outcome::kInvalidNonce), "invalid-nonce");
}

}  // namespace
}  // namespace tandem::sip::digest
