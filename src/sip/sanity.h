// Request validation a proxy performs before routing (RFC 3261 §16.3 steps 1-5 and §8.2.2):
// the edge's first pipeline stage turns a parsed request into continue, or a reply.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "sip/message.h"

namespace tandem::sip {

struct SanityOptions {
  // Option tags this element supports in Proxy-Require (case-sensitive match). Empty: none.
  std::span<const std::string_view> supportedProxyRequire;
  // Skip the Max-Forwards 0 check: the caller re-checks with this set once it has decided that
  // an OPTIONS with Max-Forwards 0 is addressed to this element (§16.3 step 3, §11).
  bool ignoreMaxForwards = false;
};

struct SanityOutcome {
  int status = 0;           // 0: route the request; otherwise the response code to send
  std::string_view reason;  // static text
  // The request may be answered (see ParseResult::respondable); false means drop it.
  bool respondable = true;
  // status is 483 because Max-Forwards is 0: an OPTIONS to the element itself may be exempted.
  bool tooManyHops = false;
  // status is 420: build the Unsupported header with appendUnsupported().
  bool badExtension = false;

  bool ok() const { return status == 0; }
};

// Checks a request after parse(). A request whose parse failed gets its parse outcome back
// (400 / 505). Then, in order: mandatory headers (Via, From, To, Call-ID, CSeq; Max-Forwards is
// optional), single-value headers appearing more than once, CSeq method equal to the request
// method, Request-URI scheme (416 unless sip, sips or tel), Max-Forwards 0 (483), Proxy-Require
// (420). Responses are not checked here (the parser already decided to drop bad ones).
// REQUIRES: msg.isRequest().
SanityOutcome checkRequest(const Message& msg, const SanityOptions& options = {});

// Appends the value of the Unsupported header for a 420: every Proxy-Require option tag not in
// options.supportedProxyRequire, comma-separated, in order of appearance.
void appendUnsupported(const Message& msg, const SanityOptions& options, std::string& out);

}  // namespace tandem::sip
