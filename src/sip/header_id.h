// Known SIP header fields as a small enum, so the parser files each header under an id once and
// every later lookup is an array index instead of a case-insensitive string search.
#pragma once

#include <cstdint>
#include <string_view>

namespace tandem::sip {

enum class HeaderId : uint8_t {
  kUnknown = 0,
  kAccept,
  kAcceptContact,
  kAcceptEncoding,
  kAcceptLanguage,
  kAlertInfo,
  kAllow,
  kAllowEvents,
  kAuthenticationInfo,
  kAuthorization,
  kCallId,
  kCallInfo,
  kContact,
  kContentDisposition,
  kContentEncoding,
  kContentLanguage,
  kContentLength,
  kContentType,
  kCSeq,
  kDate,
  kErrorInfo,
  kEvent,
  kExpires,
  kFrom,
  kIdentity,
  kIdentityInfo,
  kInReplyTo,
  kMaxForwards,
  kMimeVersion,
  kMinExpires,
  kMinSE,
  kOrganization,
  kPAssertedIdentity,
  kPPreferredIdentity,
  kPath,
  kPriority,
  kPrivacy,
  kProxyAuthenticate,
  kProxyAuthorization,
  kProxyRequire,
  kRAck,
  kReason,
  kRecordRoute,
  kReferTo,
  kReferredBy,
  kRejectContact,
  kReplaces,
  kReplyTo,
  kRequestDisposition,
  kRequire,
  kRetryAfter,
  kRoute,
  kRSeq,
  kServer,
  kServiceRoute,
  kSessionExpires,
  kSubject,
  kSubscriptionState,
  kSupported,
  kTimestamp,
  kTo,
  kUnsupported,
  kUserAgent,
  kVia,
  kWarning,
  kWwwAuthenticate,
  kCount,
};

inline constexpr size_t kHeaderIdCount = static_cast<size_t>(HeaderId::kCount);

// The id of a header field name as received: case-insensitive, long or compact form ("v", "Via",
// "VIA" are all kVia). kUnknown for extension headers and for anything that is not a known name.
HeaderId headerIdFromName(std::string_view name);

// The canonical long name ("Call-ID", "CSeq", "WWW-Authenticate"); "" for kUnknown.
std::string_view headerName(HeaderId id);

// True for headers whose grammar is a comma-separated list (Via, Route, Contact, Supported...),
// where one header line may carry several values. Authorization-like headers and every unknown
// header are not split: their commas belong to the value (e.g. Date).
bool isListHeader(HeaderId id);

}  // namespace tandem::sip
