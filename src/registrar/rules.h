// The pure parts of REGISTER processing (RFC 3261 §10.3 steps 2-6, RFC 3327, RFC 5626): reading
// and checking a parsed REGISTER without touching the location table. Internal to registrar/;
// split out so that each rule can be tested on a parsed message alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registrar/registrar.h"

namespace tandem::registrar::rules {

// A reply that refuses the request. info is Kamailio's P-Registrar-Error text for the same case.
struct Rejection {
  int status = 400;
  std::string reason;
  std::string_view info;
};

// RFC 3261 §25.1 qvalue ("0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]) in thousandths; nullopt when
// the text is not one.
std::optional<int> parseQ(std::string_view text);
// Thousandths as the shortest qvalue: 1000 -> "1", 500 -> "0.5", 125 -> "0.125", 0 -> "0".
std::string formatQ(int qMilli);

// The expiry a contact asks for, in seconds from now (0 = remove): its expires parameter, else
// the Expires header, else options.defaultExpires; above maxExpires it is clamped. Rejects a
// malformed parameter (400) and a non-zero value under minExpires (423).
std::optional<Rejection> contactExpires(const sip::NameAddr& contact,
                                        std::optional<uint32_t> headerExpires,
                                        const RegistrarOptions& options, uint32_t* out);

// "sip:IP:PORT" (";transport=tcp" added for TCP) when the packet came from somewhere other than
// the contact's host:port (a NAT), else "". Only sip/sips contacts with a numeric host can match.
std::string receivedFor(const sip::Uri& contact, const SocketAddress& source, Transport transport);

// Kamailio's method bitmask from the Allow header(s); -1 (all) when there is none.
int64_t methodsFromAllow(const sip::Message& msg);

// True when a Supported header lists "path".
bool supportsPath(const sip::Message& msg);

// One Contact of the request, checked.
struct ContactPlan {
  const sip::NameAddr* contact = nullptr;  // points into the Message
  uint32_t expires = 0;                    // seconds from now; 0 = remove
  int qMilli = kQUnset;
  std::string_view instance;  // +sip.instance without its quotes; "" when absent
  uint32_t regId = 0;         // 0 when absent (or without an instance)
  std::string received;
};

// Everything handle() needs from the request. Views point into the Message.
struct RegisterPlan {
  std::string user;    // %-escapes resolved
  std::string domain;  // lowercased
  std::string_view callId;
  uint32_t cseq = 0;
  bool star = false;                  // "Contact: *" with "Expires: 0"
  std::vector<ContactPlan> contacts;  // empty and !star: a query
  std::string path;                   // the Path values joined with ","
  bool pathSupported = false;
  std::string_view userAgent;  // cut to kMaxUserAgent
  int64_t methods = -1;
};

// Checks the request: parse outcome, method, To (the AoR), Call-ID, CSeq, Path, Contact * rules,
// and every contact (length, expires, q, +sip.instance, reg-id). nullopt when *plan is filled.
std::optional<Rejection> planRegister(const sip::Message& msg, const RegistrarOptions& options,
                                      const RegisterContext& ctx, RegisterPlan* plan);

// The reply's Contact value for a binding: "<uri>;expires=N[;q=Q][;+sip.instance=\"I\"]
// [;reg-id=R]". A permanent binding has no expires parameter.
std::string contactValue(const BindingRef& b, int64_t nowS);

}  // namespace tandem::registrar::rules
