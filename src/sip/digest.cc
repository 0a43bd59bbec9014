// Digest authentication: OpenSSL hashing behind per-thread contexts, the nonce format and its
// lock-free nonce-count tracker, challenge text, and the verification of credentials.
#include "sip/digest.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <initializer_list>

#include "sip/auth.h"
#include "sip/chars.h"

namespace tandem::sip::digest {
namespace text = ::tandem::sip::detail;  // sip/chars.h helpers

namespace {

constexpr size_t kMaxHex = 64;  // SHA-256

// Lowercase hex digest text on the stack.
struct Hex {
  std::array<char, kMaxHex> chars{};
  size_t size = 0;
  std::string_view view() const { return {chars.data(), size}; }
};

constexpr char kHexDigits[] = "0123456789abcdef";

void toHex(const unsigned char* bytes, size_t n, Hex& out) {
  for (size_t i = 0; i < n; ++i) {
    out.chars[2 * i] = kHexDigits[bytes[i] >> 4];
    out.chars[2 * i + 1] = kHexDigits[bytes[i] & 0xf];
  }
  out.size = 2 * n;
}

// Copies hex text of exactly `length` digits into out, lowercased; false on anything else.
bool lowerHex(std::string_view in, size_t length, Hex& out) {
  if (in.size() != length || length > kMaxHex) return false;
  for (size_t i = 0; i < length; ++i) {
    if (text::hexValue(in[i]) < 0) return false;
    out.chars[i] = text::lower(in[i]);
  }
  out.size = length;
  return true;
}

// Algorithms are fetched once per process: OpenSSL 3 otherwise looks them up (under a lock) on
// every implicit use such as EVP_md5().
struct Fetched {
  EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  // Never freed: contexts on other threads may outlive static destruction.
};

const Fetched& fetched() {
  static const Fetched f;
  return f;
}

// Contexts reused by every call on a thread, so the hot path does not create and free them.
// (OpenSSL 3.0 still allocates its provider state on each init; that is out of our hands.)
class ThreadContexts {
 public:
  ThreadContexts() = default;
  ThreadContexts(const ThreadContexts&) = delete;
  ThreadContexts& operator=(const ThreadContexts&) = delete;
  ~ThreadContexts() {
    EVP_MD_CTX_free(md_);
    EVP_MAC_CTX_free(mac_);
  }

  EVP_MD_CTX* md() {
    if (md_ == nullptr) md_ = EVP_MD_CTX_new();
    return md_;
  }

  // HMAC with SHA-256 selected; the key is set per use.
  EVP_MAC_CTX* hmacSha256() {
    if (mac_ != nullptr) return mac_;
    if (fetched().hmac == nullptr) return nullptr;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(fetched().hmac);
    if (ctx == nullptr) return nullptr;
    char digestName[] = "SHA2-256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digestName, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
      EVP_MAC_CTX_free(ctx);
      return nullptr;
    }
    mac_ = ctx;
    return mac_;
  }

 private:
  EVP_MD_CTX* md_ = nullptr;
  EVP_MAC_CTX* mac_ = nullptr;
};

ThreadContexts& contexts() {
  thread_local ThreadContexts c;
  return c;
}

const EVP_MD* evpMd(Algorithm algorithm) {
  return algorithm == Algorithm::kMd5 ? fetched().md5 : fetched().sha256;
}

// H(parts joined by ':') in lowercase hex.
bool hashJoined(Algorithm algorithm, std::initializer_list<std::string_view> parts, Hex& out) {
  const EVP_MD* md = evpMd(algorithm);
  EVP_MD_CTX* ctx = contexts().md();
  if (md == nullptr || ctx == nullptr) return false;
  if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1) return false;
  bool first = true;
  for (std::string_view p : parts) {
    if (!first && EVP_DigestUpdate(ctx, ":", 1) != 1) return false;
    first = false;
    if (!p.empty() && EVP_DigestUpdate(ctx, p.data(), p.size()) != 1) return false;
  }
  unsigned char bytes[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, bytes, &n) != 1 || size_t{n} * 2 != hexLength(algorithm))
    return false;
  toHex(bytes, n, out);
  return true;
}

// HMAC-SHA256(key, parts concatenated) into mac[32].
bool hmacSha256(std::string_view key, std::initializer_list<std::string_view> parts,
                unsigned char* mac) {
  EVP_MAC_CTX* ctx = contexts().hmacSha256();
  if (ctx == nullptr) return false;
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr) !=
      1) {
    return false;
  }
  for (std::string_view p : parts) {
    if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(p.data()), p.size()) != 1) {
      return false;
    }
  }
  size_t n = 0;
  return EVP_MAC_final(ctx, mac, &n, 32) == 1 && n == 32;
}

// ha1Lower is lowercase hex of the algorithm's length.
bool responseHex(Algorithm algorithm, std::string_view ha1Lower, std::string_view nonce,
                 std::string_view nc, std::string_view cnonce, std::string_view qop,
                 std::string_view method, std::string_view uri, Hex& out) {
  Hex ha2;
  if (!hashJoined(algorithm, {method, uri}, ha2)) return false;
  if (qop.empty()) return hashJoined(algorithm, {ha1Lower, nonce, ha2.view()}, out);
  return hashJoined(algorithm, {ha1Lower, nonce, nc, cnonce, qop, ha2.view()}, out);
}

// A quoted-string's content with its quoted-pairs resolved. Values without a backslash (nearly
// all) are viewed in place; the others are copied to a bounded stack buffer.
class Unescaped {
 public:
  static constexpr size_t kCapacity = 256;
  // False when an escaped value does not fit.
  bool set(std::string_view in) {
    if (in.find('\\') == std::string_view::npos) {
      view_ = in;
      return true;
    }
    size_t n = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '\\' && i + 1 < in.size()) ++i;
      if (n == kCapacity) return false;
      buf_[n++] = in[i];
    }
    view_ = {buf_.data(), n};
    return true;
  }
  std::string_view view() const { return view_; }

 private:
  std::array<char, kCapacity> buf_;
  std::string_view view_;
};

// Nonce layout: issue time (8) | serial (4) | MAC (12) = 24 bytes = 32 base64 characters, a
// multiple of 3 so the encoding has no padding and no non-canonical spellings.
constexpr size_t kBodyBytes = 12;
constexpr size_t kMacBytes = 12;  // HMAC-SHA256-96: forging needs ~2^95 tries
constexpr size_t kNonceBytes = kBodyBytes + kMacBytes;
static_assert(kNonceBytes * 4 / 3 == NonceText::kLength);
// Separates this MAC from any other use of the same secret.
constexpr std::string_view kMacLabel = "tandem-sip-nonce-1:";

bool isBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Tracker slot word: valid (1) | issue time mod 2^23 (23) | generation (16) | highest nc (24).
// The generation is the serial's bits above the slot index, so local nonces sharing a slot order
// by (time, generation); 2^23 seconds of time is far more than any lifetime, so wrap-around
// comparisons stay meaningful.
constexpr uint64_t kValidBit = uint64_t{1} << 63;
constexpr unsigned kTimeShift = 40;
constexpr uint64_t kTimeMask = (uint64_t{1} << 23) - 1;
constexpr unsigned kGenShift = 24;
constexpr uint64_t kGenMask = 0xffff;
constexpr uint64_t kNcMask = (uint64_t{1} << 24) - 1;

// (a - b) in 23-bit time, as a signed difference.
int64_t timeDiff(uint64_t a, uint64_t b) {
  int64_t d = static_cast<int64_t>((a - b) & kTimeMask);
  return d >= (int64_t{1} << 22) ? d - (int64_t{1} << 23) : d;
}

// <0 when key a is older than slot word b, 0 for the same nonce, >0 when newer. Within one
// second the generation compares without wrap-around, so the order is total and a displaced
// nonce can never climb back over the one that displaced it.
int compareKeys(uint64_t a, uint64_t b) {
  int64_t dt = timeDiff(a >> kTimeShift, b >> kTimeShift);
  if (dt != 0) return dt < 0 ? -1 : 1;
  uint64_t ga = (a >> kGenShift) & kGenMask;
  uint64_t gb = (b >> kGenShift) & kGenMask;
  if (ga == gb) return 0;
  return ga < gb ? -1 : 1;
}

void putBe(unsigned char* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    p[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t getBe(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

std::string_view asText(const unsigned char* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

std::optional<Algorithm> parseAlgorithm(std::string_view name) {
  if (text::iequals(name, "MD5")) return Algorithm::kMd5;
  if (text::iequals(name, "SHA-256")) return Algorithm::kSha256;
  return std::nullopt;
}

std::string_view algorithmName(Algorithm algorithm) {
  return algorithm == Algorithm::kMd5 ? "MD5" : "SHA-256";
}

size_t hexLength(Algorithm algorithm) { return algorithm == Algorithm::kMd5 ? 32 : 64; }

Result<std::string> ha1(Algorithm algorithm, std::string_view username, std::string_view realm,
                        std::string_view password) {
  Hex out;
  if (!hashJoined(algorithm, {username, realm, password}, out)) {
    return Result<std::string>::error(std::string(algorithmName(algorithm)) +
                                      " digest unavailable");
  }
  return std::string(out.view());
}

Result<std::string> computeResponse(Algorithm algorithm, std::string_view ha1Hex,
                                    std::string_view nonce, std::string_view nc,
                                    std::string_view cnonce, std::string_view qop,
                                    std::string_view method, std::string_view digestUri) {
  Hex ha1Lower;
  if (!lowerHex(ha1Hex, hexLength(algorithm), ha1Lower)) {
    return Result<std::string>::error("HA1 is not " + std::to_string(hexLength(algorithm)) +
                                      " hex digits");
  }
  Hex out;
  if (!responseHex(algorithm, ha1Lower.view(), nonce, nc, cnonce, qop, method, digestUri, out)) {
    return Result<std::string>::error(std::string(algorithmName(algorithm)) +
                                      " digest unavailable");
  }
  return std::string(out.view());
}

void appendChallenge(std::string& out, std::string_view realm, std::string_view nonce,
                     Algorithm algorithm, bool stale) {
  out += "Digest realm=\"";
  for (char c : realm) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += "\", nonce=\"";
  out += nonce;
  out += "\", algorithm=";
  out += algorithmName(algorithm);
  out += ", qop=\"auth\"";
  if (stale) out += ", stale=true";
}

std::string challenge(std::string_view realm, std::string_view nonce, Algorithm algorithm,
                      bool stale) {
  std::string out;
  appendChallenge(out, realm, nonce, algorithm, stale);
  return out;
}

// ---- NonceService

NonceService::NonceService(std::string_view secret, uint32_t lifetimeSeconds, size_t trackerSlots)
    : secret_(secret),
      lifetime_(lifetimeSeconds == 0                    ? 1
                : lifetimeSeconds > kMaxLifetimeSeconds ? kMaxLifetimeSeconds
                                                        : lifetimeSeconds) {
  size_t slots = 1;
  unsigned shift = 0;
  while (slots < trackerSlots && slots < kMaxTrackerSlots) {
    slots <<= 1;
    ++shift;
  }
  slotMask_ = slots - 1;
  slotShift_ = shift;
  slots_ = std::make_unique<std::atomic<uint64_t>[]>(slots);  // zero: no valid bit
  // Should RAND_bytes fail, only decorrelation is lost: serials then start at 0 on every edge.
  unsigned char seed[4] = {};
  (void)RAND_bytes(seed, sizeof seed);
  serial_.store(static_cast<uint32_t>(getBe(seed, 4)), std::memory_order_relaxed);
}

std::optional<NonceText> NonceService::issue(int64_t nowS) {
  uint32_t serial = serial_.fetch_add(1, std::memory_order_relaxed);
  unsigned char raw[kNonceBytes];
  putBe(raw, static_cast<uint64_t>(nowS), 8);
  putBe(raw + 8, serial, 4);
  unsigned char mac[32];
  if (!hmacSha256(secret_, {kMacLabel, asText(raw, kBodyBytes)}, mac)) return std::nullopt;
  std::copy(mac, mac + kMacBytes, raw + kBodyBytes);
  NonceText text;
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.chars_.data()), raw, kNonceBytes);
  return text;
}

std::optional<NonceService::Opened> NonceService::open(std::string_view nonce) const {
  if (nonce.size() != NonceText::kLength) return std::nullopt;
  for (char c : nonce) {
    if (!isBase64Char(c)) return std::nullopt;
  }
  unsigned char raw[kNonceBytes + 2];  // EVP_DecodeBlock writes whole 3-byte groups
  int n = EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(nonce.data()),
                          static_cast<int>(nonce.size()));
  if (n != static_cast<int>(kNonceBytes)) return std::nullopt;
  unsigned char mac[32];
  if (!hmacSha256(secret_, {kMacLabel, asText(raw, kBodyBytes)}, mac)) return std::nullopt;
  if (CRYPTO_memcmp(mac, raw + kBodyBytes, kMacBytes) != 0) return std::nullopt;
  Opened o;
  o.issuedS = static_cast<int64_t>(getBe(raw, 8));
  o.serial = static_cast<uint32_t>(getBe(raw + 8, 4));
  return o;
}

NonceService::Age NonceService::age(const Opened& n, int64_t nowS) const {
  // Both times come from edges' clocks (the nonce is authenticated), so no overflow here.
  if (n.issuedS > nowS + kClockSkewSeconds) return Age::kFuture;
  if (nowS - n.issuedS > static_cast<int64_t>(lifetime_)) return Age::kExpired;
  return Age::kLive;
}

uint64_t NonceService::key(const Opened& n) const {
  uint64_t t = static_cast<uint64_t>(n.issuedS) & kTimeMask;
  uint64_t gen = (static_cast<uint64_t>(n.serial) >> slotShift_) & kGenMask;
  return kValidBit | (t << kTimeShift) | (gen << kGenShift);
}

// A slot whose nonce has expired (or never existed) is free to take: anything older than it is
// expired too and is refused before reaching the tracker.
bool NonceService::slotLive(uint64_t word, int64_t nowS) const {
  if ((word & kValidBit) == 0) return false;
  int64_t a = timeDiff(static_cast<uint64_t>(nowS), word >> kTimeShift);
  return a >= -kClockSkewSeconds && a <= static_cast<int64_t>(lifetime_);
}

NonceState NonceService::peek(const Opened& n, int64_t nowS) const {
  switch (age(n, nowS)) {
    case Age::kFuture:
      return NonceState::kInvalid;
    case Age::kExpired:
      return NonceState::kStale;
    case Age::kLive:
      break;
  }
  uint64_t word = slots_[n.serial & slotMask_].load(std::memory_order_acquire);
  if (slotLive(word, nowS) && compareKeys(key(n), word) < 0) return NonceState::kStale;
  return NonceState::kValid;
}

NonceCountState NonceService::record(const Opened& n, uint32_t nc, int64_t nowS) {
  switch (age(n, nowS)) {
    case Age::kFuture:
      return NonceCountState::kInvalid;
    case Age::kExpired:
      return NonceCountState::kStale;
    case Age::kLive:
      break;
  }
  if (nc == 0) return NonceCountState::kReplayed;
  if (nc > kMaxNonceCount) return NonceCountState::kStale;
  std::atomic<uint64_t>& slot = slots_[n.serial & slotMask_];
  const uint64_t k = key(n);
  const uint64_t desired = k | nc;
  uint64_t cur = slot.load(std::memory_order_acquire);
  for (;;) {
    if (slotLive(cur, nowS)) {
      int cmp = compareKeys(k, cur);
      if (cmp < 0) return NonceCountState::kStale;
      if (cmp == 0 && nc <= (cur & kNcMask)) return NonceCountState::kReplayed;
    }
    if (slot.compare_exchange_weak(cur, desired, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      return NonceCountState::kAccepted;
    }
  }
}

NonceState NonceService::check(std::string_view nonce, int64_t nowS) const {
  std::optional<Opened> n = open(nonce);
  if (!n) return NonceState::kInvalid;
  return peek(*n, nowS);
}

NonceCountState NonceService::recordNonceCount(std::string_view nonce, uint32_t nc, int64_t nowS) {
  std::optional<Opened> n = open(nonce);
  if (!n) return NonceCountState::kInvalid;
  return record(*n, nc, nowS);
}

// ---- verify

// verify() opens the nonce once and reuses it for the expiry and nonce-count steps.
struct VerifyAccess {
  static std::optional<NonceService::Opened> open(const NonceService& s, std::string_view nonce) {
    return s.open(nonce);
  }
  static bool future(const NonceService& s, const NonceService::Opened& n, int64_t nowS) {
    return s.age(n, nowS) == NonceService::Age::kFuture;
  }
  static bool expired(const NonceService& s, const NonceService::Opened& n, int64_t nowS) {
    return s.age(n, nowS) == NonceService::Age::kExpired;
  }
  static NonceCountState record(NonceService& s, const NonceService::Opened& n, uint32_t nc,
                                int64_t nowS) {
    return s.record(n, nc, nowS);
  }
};

std::string_view outcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kNoCredentials:
      return "no-credentials";
    case Outcome::kMalformed:
      return "malformed";
    case Outcome::kUnknownUser:
      return "unknown-user";
    case Outcome::kWrongPassword:
      return "wrong-password";
    case Outcome::kStaleNonce:
      return "stale-nonce";
    case Outcome::kInvalidNonce:
      return "invalid-nonce";
    case Outcome::kReplayedNonceCount:
      return "replayed-nonce-count";
    case Outcome::kInternalError:
      return "internal-error";
  }
  return "unknown";
}

namespace {

// nc-value = 8LHEX (RFC 7616 §3.4); either case is accepted, it is hashed as sent.
bool parseNonceCount(std::string_view text, uint32_t& out) {
  if (text.size() != 8) return false;
  uint32_t v = 0;
  for (char c : text) {
    int d = text::hexValue(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  out = v;
  return true;
}

}  // namespace

Verdict verify(NonceService& nonces, const VerifyInput& input, const Ha1Lookup& lookup,
               const VerifyOptions& options) {
  Verdict v;
  // Choose the credentials meant for us.
  Credentials creds;
  bool chosen = false;
  bool sawDigestWithoutRealm = false;
  Unescaped realm;
  for (std::string_view value : input.credentials) {
    Credentials c;
    if (!parseCredentials(value, &c) || c.scheme != AuthScheme::kDigest) continue;
    std::optional<std::string_view> r = c.param("realm");
    if (!r) {
      sawDigestWithoutRealm = true;
      continue;
    }
    if (!realm.set(*r) || realm.view() != input.realm) continue;
    Algorithm algorithm = Algorithm::kMd5;  // RFC 7616 §3.3: absent means MD5
    if (std::optional<std::string_view> a = c.param("algorithm")) {
      std::optional<Algorithm> parsed = parseAlgorithm(*a);
      if (!parsed) continue;
      algorithm = *parsed;
    }
    creds = c;
    v.algorithm = algorithm;
    chosen = true;
    break;
  }
  if (!chosen) {
    v.outcome = sawDigestWithoutRealm ? Outcome::kMalformed : Outcome::kNoCredentials;
    return v;
  }

  // Shape checks: anything wrong here is the client's bug, answered 400.
  std::optional<std::string_view> username = creds.param("username");
  std::optional<std::string_view> nonce = creds.param("nonce");
  std::optional<std::string_view> uri = creds.param("uri");
  std::optional<std::string_view> response = creds.param("response");
  std::optional<std::string_view> qop = creds.param("qop");
  v.outcome = Outcome::kMalformed;
  if (username) v.username = *username;
  if (uri) v.uri = *uri;
  if (!username || username->empty() || !nonce || nonce->empty() || !uri || uri->empty() ||
      !response) {
    return v;
  }
  Hex received;
  if (!lowerHex(*response, hexLength(v.algorithm), received)) return v;
  Unescaped user;
  Unescaped digestUri;
  if (!user.set(*username) || !digestUri.set(*uri)) return v;
  uint32_t nc = 0;
  std::string_view ncText;
  Unescaped cnonce;
  if (qop) {
    if (!text::iequals(*qop, "auth")) return v;  // auth-int and unknown values
    std::optional<std::string_view> ncParam = creds.param("nc");
    std::optional<std::string_view> cnonceParam = creds.param("cnonce");
    if (!ncParam || !parseNonceCount(*ncParam, nc) || nc == 0) return v;
    if (!cnonceParam || cnonceParam->empty() || !cnonce.set(*cnonceParam)) return v;
    ncText = *ncParam;
  } else if (!options.allowNoQop) {
    return v;
  }

  // The nonce must be ours before anything costs a lookup.
  auto opened = VerifyAccess::open(nonces, *nonce);
  if (!opened || VerifyAccess::future(nonces, *opened, input.nowS)) {
    v.outcome = Outcome::kInvalidNonce;
    return v;
  }

  std::optional<std::string_view> stored = lookup(user.view(), realm.view(), v.algorithm);
  if (!stored || stored->empty()) {
    v.outcome = Outcome::kUnknownUser;
    return v;
  }
  Hex ha1Lower;
  Hex expected;
  if (!lowerHex(*stored, hexLength(v.algorithm), ha1Lower) ||
      !responseHex(v.algorithm, ha1Lower.view(), *nonce, ncText, cnonce.view(),
                   qop ? *qop : std::string_view(), input.method, digestUri.view(), expected)) {
    v.outcome = Outcome::kInternalError;
    return v;
  }
  if (CRYPTO_memcmp(expected.chars.data(), received.chars.data(), expected.size) != 0) {
    v.outcome = Outcome::kWrongPassword;
    return v;
  }

  // The password is right: from here on the client only needs a fresh nonce (stale=true).
  if (VerifyAccess::expired(nonces, *opened, input.nowS)) {
    v.outcome = Outcome::kStaleNonce;
    return v;
  }
  if (qop) {
    switch (VerifyAccess::record(nonces, *opened, nc, input.nowS)) {
      case NonceCountState::kAccepted:
        break;
      case NonceCountState::kReplayed:
        v.outcome = Outcome::kReplayedNonceCount;
        return v;
      case NonceCountState::kStale:
        v.outcome = Outcome::kStaleNonce;
        return v;
      case NonceCountState::kInvalid:
        v.outcome = Outcome::kInvalidNonce;
        return v;
    }
  }
  v.outcome = Outcome::kOk;
  return v;
}

Result<std::string> detail::hmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char mac[32];
  if (!hmacSha256(key, {message}, mac)) return Result<std::string>::error("HMAC unavailable");
  Hex out;
  toHex(mac, sizeof mac, out);
  return std::string(out.view());
}

}  // namespace tandem::sip::digest
