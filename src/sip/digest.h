// SIP digest authentication (RFC 3261 §22, RFC 2617, RFC 7616 as profiled for SIP by RFC 8760):
// stateless nonces shared by every edge, bounded nonce-count replay tracking, challenges, checks.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

// Everything lives in tandem::sip::digest. Pure code: no I/O, no clock (time is passed in as
// seconds of a wall clock all edges agree on, e.g. CLOCK_REALTIME kept by NTP), no logging.
namespace tandem::sip::digest {

// Supported digest algorithms. The "-sess" variants and every other name are unsupported.
enum class Algorithm : uint8_t { kMd5, kSha256 };

// "MD5" or "SHA-256" (case-insensitive); nullopt for anything else, "MD5-sess" included.
std::optional<Algorithm> parseAlgorithm(std::string_view name);
// The wire name: "MD5", "SHA-256".
std::string_view algorithmName(Algorithm algorithm);
// Length of the algorithm's digest in lowercase hex: 32 for MD5, 64 for SHA-256.
size_t hexLength(Algorithm algorithm);

// HA1 = H(username ":" realm ":" password) in lowercase hex. Errors only when OpenSSL cannot
// provide the algorithm (e.g. MD5 under a FIPS-only configuration).
Result<std::string> ha1(Algorithm algorithm, std::string_view username, std::string_view realm,
                        std::string_view password);

// The request-digest a client sends as response=: with qop ("auth"),
//   H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" H(method ":" digestUri))
// and without qop (qop empty, RFC 2069 compatibility; nc and cnonce are then ignored),
//   H(HA1 ":" nonce ":" H(method ":" digestUri)).
// ha1Hex must be hex of hexLength(algorithm) characters (either case; it is hashed lowercase).
// Values are the unquoted texts as they appear on the wire (nc exactly as sent, e.g. "00000001").
Result<std::string> computeResponse(Algorithm algorithm, std::string_view ha1Hex,
                                    std::string_view nonce, std::string_view nc,
                                    std::string_view cnonce, std::string_view qop,
                                    std::string_view method, std::string_view digestUri);

// Appends one challenge value for WWW-Authenticate / Proxy-Authenticate to out, exactly
//   Digest realm="example.com", nonce="NONCE", algorithm=MD5, qop="auth"
// followed by `, stale=true` when stale. The realm is escaped as a quoted-string; the nonce must
// be one NonceService issued (it needs no escaping). One challenge per algorithm offered: RFC 8760
// has the preferred one (SHA-256) sent before MD5.
void appendChallenge(std::string& out, std::string_view realm, std::string_view nonce,
                     Algorithm algorithm, bool stale);
std::string challenge(std::string_view realm, std::string_view nonce, Algorithm algorithm,
                      bool stale);

// A nonce as issued: fixed-size text, no heap. Characters are base64 ("A-Za-z0-9+/"), all safe
// inside a quoted-string.
class NonceText {
 public:
  static constexpr size_t kLength = 32;
  std::string_view view() const { return {chars_.data(), kLength}; }
  operator std::string_view() const { return view(); }  // NOLINT: a nonce is text

 private:
  friend class NonceService;
  std::array<char, kLength + 1> chars_{};  // + NUL written by the encoder
};

enum class NonceState : uint8_t {
  kValid,
  kStale,    // authentic, but expired or displaced from this process's nonce-count tracker
  kInvalid,  // bad encoding, bad MAC (other secret, tampered), or issued too far in the future
};

enum class NonceCountState : uint8_t {
  kAccepted,  // nc is higher than any seen for this nonce on this process; now recorded
  kReplayed,  // nc is not higher than the highest recorded
  kStale,     // nonce expired, displaced from the tracker, or nc beyond kMaxNonceCount
  kInvalid,   // as NonceState::kInvalid
};

// Issues and checks stateless nonces, and tracks nonce-counts in fixed memory.
//
// A nonce is base64(issueTime:int64 BE | serial:uint32 BE | HMAC-SHA256(secret, ...)[0..12)),
// 24 bytes, 32 characters. Any process configured with the same secret validates it without
// shared state; edges therefore share one secret. Changing the secret or the format makes every
// outstanding nonce invalid: clients get a new challenge.
//
// Nonce-count tracking is per process: the tracker is a ring of slots indexed by the nonce's
// serial, each holding the newest nonce seen in it and the highest nc accepted for that nonce.
// A nonce pushed out of its slot by a newer one is answered stale, so the client retries with a
// fresh nonce instead of being replayable. Nonces another edge issued (same secret, foreign
// serial) are tracked the same way. A nonce used on two edges is tracked on each separately: a
// request captured on one edge can be replayed once to another edge within the lifetime, the
// price of keeping edges stateless. A slot record is keyed by (issue second, serial bits above
// the slot index), so nonces of two edges issued in the same second into the same slot share a
// record with probability 2^-16; that only makes the check stricter (a spurious kReplayed, the
// client retries), it never lets a replay through.
//
// Thread-safety: every method may be called concurrently from any thread; the tracker is
// lock-free (one 64-bit atomic per slot). Memory: 8 bytes per slot, fixed at construction.
// Time: nowS is seconds of a wall clock shared by all edges; it should not run backwards (if it
// does, some nonces are answered stale early; never is a replay accepted).
class NonceService {
 public:
  // Nonces issued up to this many seconds in the future (clock differences between edges) are
  // still valid.
  static constexpr int64_t kClockSkewSeconds = 5;
  // The tracker keeps 24 bits of nc; a client that reaches this count gets a stale answer and
  // starts over with a fresh nonce.
  static constexpr uint32_t kMaxNonceCount = (1u << 24) - 1;
  static constexpr uint32_t kMaxLifetimeSeconds = 7 * 24 * 3600;
  static constexpr size_t kMaxTrackerSlots = size_t{1} << 24;

  // REQUIRES: secret is non-empty and the same on every edge (it is the HMAC key).
  // lifetimeSeconds is clamped to [1, kMaxLifetimeSeconds]; trackerSlots is rounded up to a power
  // of two in [1, kMaxTrackerSlots]. Size it to at least the nonces issued per lifetime, or
  // clients see stale answers before the lifetime ends. The serial starts at a random value so
  // that edges' serials do not march in step through the same slots.
  NonceService(std::string_view secret, uint32_t lifetimeSeconds, size_t trackerSlots);

  NonceService(const NonceService&) = delete;
  NonceService& operator=(const NonceService&) = delete;

  // A fresh nonce issued at nowS. nullopt only when OpenSSL fails (no HMAC-SHA256 available).
  std::optional<NonceText> issue(int64_t nowS);

  // Validity of a nonce as received (unquoted) at nowS. Read-only: kValid does not reserve a
  // tracker slot.
  NonceState check(std::string_view nonce, int64_t nowS) const;

  // Records nc for the nonce when it is higher than any seen before on this process. Call it only
  // after the request's response digest has been verified, or anyone could burn a client's
  // nonce-counts. nc 0 is never accepted (counts start at 1): kReplayed.
  NonceCountState recordNonceCount(std::string_view nonce, uint32_t nc, int64_t nowS);

  uint32_t lifetimeSeconds() const { return lifetime_; }
  size_t trackerSlots() const { return slotMask_ + 1; }

 private:
  // A nonce whose MAC checked out.
  struct Opened {
    int64_t issuedS = 0;
    uint32_t serial = 0;
  };
  enum class Age : uint8_t { kLive, kExpired, kFuture };

  std::optional<Opened> open(std::string_view nonce) const;
  Age age(const Opened& n, int64_t nowS) const;
  NonceState peek(const Opened& n, int64_t nowS) const;
  NonceCountState record(const Opened& n, uint32_t nc, int64_t nowS);
  uint64_t key(const Opened& n) const;
  bool slotLive(uint64_t word, int64_t nowS) const;

  friend struct VerifyAccess;

  std::string secret_;
  uint32_t lifetime_;
  uint64_t slotMask_;
  unsigned slotShift_;  // log2(slots): the serial's bits above it are its generation in the slot
  std::atomic<uint32_t> serial_;
  std::unique_ptr<std::atomic<uint64_t>[]> slots_;
};

// Why verify() accepted or refused a request, one value per case the proxy answers differently.
enum class Outcome : uint8_t {
  kOk,
  kNoCredentials,       // no Digest credentials for our realm with a supported algorithm: 401/407
  kMalformed,           // our credentials lack username/realm/nonce/uri/response, qop without
                        // nc or cnonce, bad nc, qop other than auth (auth-int), bad response: 400
  kUnknownUser,         // the lookup found no HA1: challenge again (or 403, the caller's policy)
  kWrongPassword,       // response digest mismatch: challenge again (or 403)
  kStaleNonce,          // correct response on an expired/displaced nonce: challenge, stale=true
  kInvalidNonce,        // nonce not ours (bad MAC or encoding, future): challenge, stale=false
  kReplayedNonceCount,  // correct response, nc not above the highest seen: challenge
  kInternalError,       // OpenSSL failed or the lookup returned malformed HA1 hex: 500
};
std::string_view outcomeName(Outcome outcome);  // "ok", "no-credentials", "malformed", ...

// Returns the stored HA1 hex of (username, realm) for that algorithm, or nullopt when the user is
// unknown (or has no HA1 for that algorithm; an empty view counts as nullopt). The view must stay
// valid until verify() returns. username and realm are unescaped (quoted-pairs resolved).
// Called at most once per verify(), on the caller's thread.
using Ha1Lookup = std::function<std::optional<std::string_view>(
    std::string_view username, std::string_view realm, Algorithm algorithm)>;

struct VerifyOptions {
  // Accept credentials without qop (RFC 2069 style, as Kamailio does). They have no nonce-count,
  // so such requests get no replay protection within the nonce lifetime. When false, they are
  // kMalformed (our challenge asked for qop="auth").
  bool allowNoQop = true;
};

// One request to authenticate. Lifetime: views only; they must outlive the verify() call, and the
// Verdict's views point into credentials' texts.
struct VerifyInput {
  // Every Authorization (or every Proxy-Authorization) header value of the request, in order;
  // these headers never combine into comma lists (RFC 3261 §7.3.1).
  std::span<const std::string_view> credentials;
  std::string_view method;  // the request method (for ACK/CANCEL: the one of the INVITE)
  std::string_view realm;   // our realm; compared exactly with the credentials' realm
  int64_t nowS = 0;
};

struct Verdict {
  Outcome outcome = Outcome::kNoCredentials;
  // The chosen credentials' username as received (quoted-pairs kept); empty when none chosen.
  std::string_view username;
  // The chosen credentials' digest-uri; the caller may compare it with the Request-URI.
  std::string_view uri;
  Algorithm algorithm = Algorithm::kMd5;  // meaningful when username is not empty

  bool ok() const { return outcome == Outcome::kOk; }
  bool stale() const { return outcome == Outcome::kStaleNonce; }
};

// Authenticates a request. Picks the first Digest credentials whose realm equals input.realm and
// whose algorithm is supported (absent algorithm = MD5); other schemes (RFC 4475 regaut01), other
// realms and unsupported algorithms are ignored. Then: nonce authenticity (kInvalidNonce), user
// lookup (kUnknownUser), response digest compared in constant time (kWrongPassword), nonce expiry
// (kStaleNonce) and, for qop=auth, the nonce-count (kReplayedNonceCount, or kStaleNonce when the
// nonce lost its tracker slot). A nonce-count is recorded only for a verified response.
// Untrusted input of any shape is answered with an Outcome, never asserted on.
// Thread-safety: as NonceService; no allocation of its own beyond OpenSSL's internal ones.
Verdict verify(NonceService& nonces, const VerifyInput& input, const Ha1Lookup& lookup,
               const VerifyOptions& options = {});

namespace detail {
// HMAC-SHA256 in lowercase hex; exposed for the RFC 4231 test of the nonce MAC.
Result<std::string> hmacSha256Hex(std::string_view key, std::string_view message);
}  // namespace detail

}  // namespace tandem::sip::digest
