// Header name table and the name -> id lookup: a switch on the compact letter, otherwise a probe
// of the few names sharing the same length and first letter.
#include "sip/header_id.h"

#include <array>

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
    case 'a': return HeaderId::kAcceptContact;
    case 'b': return HeaderId::kReferredBy;
    case 'c': return HeaderId::kContentType;
    case 'd': return HeaderId::kRequestDisposition;
    case 'e': return HeaderId::kContentEncoding;
    case 'f': return HeaderId::kFrom;
    case 'i': return HeaderId::kCallId;
    case 'j': return HeaderId::kRejectContact;
    case 'k': return HeaderId::kSupported;
    case 'l': return HeaderId::kContentLength;
    case 'm': return HeaderId::kContact;
    case 'n': return HeaderId::kIdentityInfo;
    case 'o': return HeaderId::kEvent;
    case 'r': return HeaderId::kReferTo;
    case 's': return HeaderId::kSubject;
    case 't': return HeaderId::kTo;
    case 'u': return HeaderId::kAllowEvents;
    case 'v': return HeaderId::kVia;
    case 'x': return HeaderId::kSessionExpires;
    case 'y': return HeaderId::kIdentity;
    default: return HeaderId::kUnknown;
  }
}

// Buckets by lower-cased first letter: at most kBucketSize candidates each.
constexpr size_t kBucketSize = 16;
struct Buckets {
  std::array<std::array<uint8_t, kBucketSize>, 26> ids{};
  std::array<uint8_t, 26> count{};
};

constexpr Buckets makeBuckets() {
  Buckets b;
  for (size_t i = 1; i < kHeaders.size(); ++i) {
    char c = kHeaders[i].name[0];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    size_t k = static_cast<size_t>(c - 'a');
    b.ids[k][b.count[k]++] = static_cast<uint8_t>(i);
  }
  return b;
}
constexpr Buckets kBuckets = makeBuckets();
static_assert(
    [] {
      for (auto n : kBuckets.count) {
        if (n > kBucketSize) return false;
      }
      return true;
    }(),
    "a header bucket overflowed");

}  // namespace

HeaderId headerIdFromName(std::string_view name) {
  if (name.size() == 1) return compactForm(name[0]);
  if (name.size() < 2) return HeaderId::kUnknown;
  char c = detail::lower(name[0]);
  if (c < 'a' || c > 'z') return HeaderId::kUnknown;
  size_t k = static_cast<size_t>(c - 'a');
  for (size_t j = 0; j < kBuckets.count[k]; ++j) {
    const HeaderInfo& h = kHeaders[kBuckets.ids[k][j]];
    if (h.name.size() == name.size() && detail::iequals(h.name, name)) return h.id;
  }
  return HeaderId::kUnknown;
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
