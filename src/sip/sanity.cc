// Request sanity checks, in the order RFC 3261 §16.3 lists them.
#include "sip/sanity.h"

#include <array>

namespace tandem::sip {
namespace {

struct Mandatory {
  HeaderId id;
  std::string_view missing;
};
constexpr std::array<Mandatory, 5> kMandatory = {{
    {HeaderId::kVia, "Bad Request - Missing Via"},
    {HeaderId::kFrom, "Bad Request - Missing From"},
    {HeaderId::kTo, "Bad Request - Missing To"},
    {HeaderId::kCallId, "Bad Request - Missing Call-ID"},
    {HeaderId::kCSeq, "Bad Request - Missing CSeq"},
}};

struct Single {
  HeaderId id;
  std::string_view duplicate;
};
// Headers whose grammar allows one value (RFC 4475 multi01, mcl01).
constexpr std::array<Single, 10> kSingle = {{
    {HeaderId::kFrom, "Bad Request - Duplicate From"},
    {HeaderId::kTo, "Bad Request - Duplicate To"},
    {HeaderId::kCallId, "Bad Request - Duplicate Call-ID"},
    {HeaderId::kCSeq, "Bad Request - Duplicate CSeq"},
    {HeaderId::kMaxForwards, "Bad Request - Duplicate Max-Forwards"},
    {HeaderId::kContentLength, "Bad Request - Duplicate Content-Length"},
    {HeaderId::kContentType, "Bad Request - Duplicate Content-Type"},
    {HeaderId::kExpires, "Bad Request - Duplicate Expires"},
    {HeaderId::kContentDisposition, "Bad Request - Duplicate Content-Disposition"},
    {HeaderId::kMinExpires, "Bad Request - Duplicate Min-Expires"},
}};

SanityOutcome reject(int status, std::string_view reason) {
  SanityOutcome o;
  o.status = status;
  o.reason = reason;
  return o;
}

bool supported(std::string_view tag, const SanityOptions& options) {
  for (std::string_view s : options.supportedProxyRequire) {
    if (s == tag) return true;
  }
  return false;
}

}  // namespace

SanityOutcome checkRequest(const Message& msg, const SanityOptions& options) {
  const ParseResult& r = msg.result();
  if (!r.ok()) {
    SanityOutcome o = reject(r.status, r.reason);
    o.respondable = r.respondable;
    return o;
  }
  if (!msg.isRequest()) {
    SanityOutcome o = reject(400, "Bad Request - Not A Request");
    o.respondable = false;
    return o;
  }
  for (const Mandatory& m : kMandatory) {
    if (msg.header(m.id) == nullptr) {
      SanityOutcome o = reject(400, m.missing);
      o.respondable = r.respondable;
      return o;
    }
  }
  for (const Single& s : kSingle) {
    if (msg.headerCount(s.id) > 1) return reject(400, s.duplicate);
  }
  if (msg.fromHasSeveralValues()) return reject(400, "Bad Request - Duplicate From");
  if (msg.toHasSeveralValues()) return reject(400, "Bad Request - Duplicate To");
  if (msg.contactIsStar() && !msg.contacts().empty()) {
    return reject(400, "Bad Request - Malformed Contact");  // '*' stands alone (§10.2.2)
  }
  // The CSeq method must equal the request method, for ACK and CANCEL too (§8.1.1.5, §9.1,
  // §17.1.1.3; RFC 4475 mismatch01, mismatch02).
  if (msg.cseq()->methodToken != msg.methodToken()) {
    return reject(400, "Bad Request - CSeq Method Mismatch");
  }
  if (msg.requestUri().scheme == UriScheme::kOther) {
    return reject(416, "Unsupported URI Scheme");  // §16.3 step 2; RFC 4475 unkscm, novelsc
  }
  if (!options.ignoreMaxForwards && msg.maxForwards() == 0u) {
    SanityOutcome o = reject(483, "Too Many Hops");
    o.tooManyHops = true;
    return o;
  }
  for (std::string_view tag : msg.proxyRequire()) {
    if (!supported(tag, options)) {
      SanityOutcome o = reject(420, "Bad Extension");
      o.badExtension = true;
      return o;
    }
  }
  return SanityOutcome{};
}

void appendUnsupported(const Message& msg, const SanityOptions& options, std::string& out) {
  bool first = true;
  for (std::string_view tag : msg.proxyRequire()) {
    if (supported(tag, options)) continue;
    if (!first) out.append(", ");
    out.append(tag);
    first = false;
  }
}

}  // namespace tandem::sip
