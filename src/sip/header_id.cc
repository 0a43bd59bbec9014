// Header name table and the name -> id lookup: a switch on the compact letter, otherwise a probe
// of the few names sharing the same length and first letter.
#include "sip/header_id.h"

#include <array>
#include <bit>
#include <cstring>

#include "sip/chars.h"

namespace tandem::sip {
namespace {

struct HeaderInfo {
  HeaderId id;
  std::string_view name;
  bool list;
};

// Order follows the enum so headerName() is an index.
constexpr std::array<HeaderInfo, kHeaderIdCount> kHeaders = {{
    {HeaderId::kUnknown, "", false},
    {HeaderId::kAccept, "Accept", true},
    {HeaderId::kAcceptContact, "Accept-Contact", true},
    {HeaderId::kAcceptEncoding, "Accept-Encoding", true},
    {HeaderId::kAcceptLanguage, "Accept-Language", true},
    {HeaderId::kAlertInfo, "Alert-Info", true},
    {HeaderId::kAllow, "Allow", true},
    {HeaderId::kAllowEvents, "Allow-Events", true},
    {HeaderId::kAuthenticationInfo, "Authentication-Info", false},
    {HeaderId::kAuthorization, "Authorization", false},
    {HeaderId::kCallId, "Call-ID", false},
    {HeaderId::kCallInfo, "Call-Info", true},
    {HeaderId::kContact, "Contact", true},
    {HeaderId::kContentDisposition, "Content-Disposition", false},
    {HeaderId::kContentEncoding, "Content-Encoding", true},
    {HeaderId::kContentLanguage, "Content-Language", true},
    {HeaderId::kContentLength, "Content-Length", false},
    {HeaderId::kContentType, "Content-Type", false},
    {HeaderId::kCSeq, "CSeq", false},
    {HeaderId::kDate, "Date", false},
    {HeaderId::kErrorInfo, "Error-Info", true},
    {HeaderId::kEvent, "Event", false},
    {HeaderId::kExpires, "Expires", false},
    {HeaderId::kFrom, "From", false},
    {HeaderId::kIdentity, "Identity", false},
    {HeaderId::kIdentityInfo, "Identity-Info", false},
    {HeaderId::kInReplyTo, "In-Reply-To", true},
    {HeaderId::kMaxForwards, "Max-Forwards", false},
    {HeaderId::kMimeVersion, "MIME-Version", false},
    {HeaderId::kMinExpires, "Min-Expires", false},
    {HeaderId::kMinSE, "Min-SE", false},
    {HeaderId::kOrganization, "Organization", false},
    {HeaderId::kPAssertedIdentity, "P-Asserted-Identity", true},
    {HeaderId::kPPreferredIdentity, "P-Preferred-Identity", true},
    {HeaderId::kPath, "Path", true},
    {HeaderId::kPriority, "Priority", false},
    {HeaderId::kPrivacy, "Privacy", false},
    {HeaderId::kProxyAuthenticate, "Proxy-Authenticate", false},
    {HeaderId::kProxyAuthorization, "Proxy-Authorization", false},
    {HeaderId::kProxyRequire, "Proxy-Require", true},
    {HeaderId::kRAck, "RAck", false},
    {HeaderId::kReason, "Reason", true},
    {HeaderId::kRecordRoute, "Record-Route", true},
    {HeaderId::kReferTo, "Refer-To", false},
    {HeaderId::kReferredBy, "Referred-By", false},
    {HeaderId::kRejectContact, "Reject-Contact", true},
    {HeaderId::kReplaces, "Replaces", false},
    {HeaderId::kReplyTo, "Reply-To", false},
    {HeaderId::kRequestDisposition, "Request-Disposition", true},
    {HeaderId::kRequire, "Require", true},
    {HeaderId::kRetryAfter, "Retry-After", false},
    {HeaderId::kRoute, "Route", true},
    {HeaderId::kRSeq, "RSeq", false},
    {HeaderId::kServer, "Server", false},
    {HeaderId::kServiceRoute, "Service-Route", true},
    {HeaderId::kSessionExpires, "Session-Expires", false},
    {HeaderId::kSubject, "Subject", false},
    {HeaderId::kSubscriptionState, "Subscription-State", false},
    {HeaderId::kSupported, "Supported", true},
    {HeaderId::kTimestamp, "Timestamp", false},
    {HeaderId::kTo, "To", false},
    {HeaderId::kUnsupported, "Unsupported", true},
    {HeaderId::kUserAgent, "User-Agent", false},
    {HeaderId::kVia, "Via", true},
    {HeaderId::kWarning, "Warning", true},
    {HeaderId::kWwwAuthenticate, "WWW-Authenticate", false},
}};

constexpr bool tableInEnumOrder() {
  for (size_t i = 0; i < kHeaders.size(); ++i) {
    if (static_cast<size_t>(kHeaders[i].id) != i) return false;
  }
  return true;
}
static_assert(tableInEnumOrder(), "kHeaders must list every HeaderId in enum order");

// Compact forms: RFC 3261 §7.3.3 and the extensions that registered one
// (RFC 3265 o/u, RFC 3515 r, RFC 3892 b, RFC 4028 x, RFC 4474 y/n, RFC 3841 a/j/d).
HeaderId compactForm(char c) {
  switch (detail::lower(c)) {
    case 'a':
      return HeaderId::kAcceptContact;
    case 'b':
      return HeaderId::kReferredBy;
    case 'c':
      return HeaderId::kContentType;
    case 'd':
      return HeaderId::kRequestDisposition;
    case 'e':
      return HeaderId::kContentEncoding;
    case 'f':
      return HeaderId::kFrom;
    case 'i':
      return HeaderId::kCallId;
    case 'j':
      return HeaderId::kRejectContact;
    case 'k':
      return HeaderId::kSupported;
    case 'l':
      return HeaderId::kContentLength;
    case 'm':
      return HeaderId::kContact;
    case 'n':
      return HeaderId::kIdentityInfo;
    case 'o':
      return HeaderId::kEvent;
    case 'r':
      return HeaderId::kReferTo;
    case 's':
      return HeaderId::kSubject;
    case 't':
      return HeaderId::kTo;
    case 'u':
      return HeaderId::kAllowEvents;
    case 'v':
      return HeaderId::kVia;
    case 'x':
      return HeaderId::kSessionExpires;
    case 'y':
      return HeaderId::kIdentity;
    default:
      return HeaderId::kUnknown;
  }
}

// A perfect hash of the lower-cased known names on their length and three of their letters, built
// at compile time: one slot to look at, one comparison to confirm.
constexpr size_t kSlots = 256;

constexpr char lowerC(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

constexpr size_t hashName(std::string_view n) {
  auto u = [](char c) { return static_cast<size_t>(static_cast<unsigned char>(lowerC(c))); };
  return (n.size() * 13 + u(n[0]) * 3 + u(n[n.size() - 1]) * 32 + u(n[n.size() / 2])) % kSlots;
}

struct Table {
  std::array<uint8_t, kSlots> slot{};  // HeaderId, 0 = empty
  size_t maxProbe = 0;
};

constexpr Table makeTable() {
  Table t;
  for (size_t i = 1; i < kHeaders.size(); ++i) {
    size_t h = hashName(kHeaders[i].name);
    size_t probes = 1;
    while (t.slot[h] != 0) {
      h = (h + 1) % kSlots;
      ++probes;
    }
    t.slot[h] = static_cast<uint8_t>(i);
    if (probes > t.maxProbe) t.maxProbe = probes;
  }
  return t;
}
constexpr Table kTable = makeTable();

// Known names lower-cased and zero-padded, so a candidate compares eight bytes at a time.
constexpr size_t kNameCap = 24;
constexpr std::array<std::array<char, kNameCap>, kHeaderIdCount> makeLowerNames() {
  std::array<std::array<char, kNameCap>, kHeaderIdCount> out{};
  for (size_t i = 0; i < kHeaders.size(); ++i) {
    for (size_t j = 0; j < kHeaders[i].name.size(); ++j) out[i][j] = lowerC(kHeaders[i].name[j]);
  }
  return out;
}
constexpr auto kLowerNames = makeLowerNames();
static_assert(
    [] {
      for (const HeaderInfo& h : kHeaders) {
        if (h.name.size() >= kNameCap) return false;
        for (char c : h.name) {
          if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
        }
      }
      return true;
    }(),
    "known names must be letters and '-' only, shorter than kNameCap");

uint64_t load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// n < 8 bytes in little-endian order, like load8 where it is used; a loop, not a libc call.
uint64_t loadTail(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t j = 0; j < n; ++j) v |= uint64_t{static_cast<unsigned char>(p[j])} << (8 * j);
  return v;
}

// Case-insensitive equality of a received name with a known one. OR-ing 0x20 lower-cases
// letters and leaves '-' alone; the only other byte it could confuse with a letter or '-' is CR,
// which never occurs in a header name (the parser hands over tokens only).
bool equalsKnown(std::string_view in, const std::array<char, kNameCap>& known) {
  constexpr uint64_t kCase = 0x2020202020202020ULL;
  size_t i = 0;
  for (; i + 8 <= in.size(); i += 8) {
    if ((load8(in.data() + i) | kCase) != load8(known.data() + i)) return false;
  }
  size_t rest = in.size() - i;
  if (rest == 0) return true;
  uint64_t mask = (uint64_t{1} << (8 * rest)) - 1;
  // known is zero-padded to kNameCap, so its 8-byte load stays inside and masks to the tail.
  return (loadTail(in.data() + i, rest) | (kCase & mask)) == (load8(known.data() + i) & mask);
}
static_assert(kTable.maxProbe == 1, "hashName is no longer perfect for kHeaders; retune it");

}  // namespace

HeaderId headerIdFromName(std::string_view name) {
  if (name.size() == 1) return compactForm(name[0]);
  if (name.size() < 2) return HeaderId::kUnknown;
  uint8_t id = kTable.slot[hashName(name)];  // 0, kUnknown, has the empty name
  if (kHeaders[id].name.size() != name.size()) return HeaderId::kUnknown;
  bool same;
  if constexpr (std::endian::native == std::endian::little) {
    same = equalsKnown(name, kLowerNames[id]);
  } else {
    same = detail::iequals(kHeaders[id].name, name);
  }
  return same ? kHeaders[id].id : HeaderId::kUnknown;
}

std::string_view headerName(HeaderId id) {
  size_t i = static_cast<size_t>(id);
  return i < kHeaders.size() ? kHeaders[i].name : std::string_view();
}

bool isListHeader(HeaderId id) {
  size_t i = static_cast<size_t>(id);
  return i < kHeaders.size() && kHeaders[i].list;
}

}  // namespace tandem::sip
