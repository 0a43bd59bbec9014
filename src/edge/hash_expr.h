// The expression dispatcher algorithm 7 hashes (Kamailio's hash_pvar), written with the
// pseudo-variables operators know: $ci Call-ID, $fu/$fU/$fd From URI/user/domain, $tu/$tU/$td
// the same for To, $ru/$rU/$rd the Request-URI, $si the source IP; other text is literal.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "sip/message.h"
#include "transport/transport.h"

namespace tandem::edge {

// Error: `unknown variable "$xy" in hash_expression (known: $ci, $fu, ...)`.
Status checkHashExpression(std::string_view expr);

// Appends the value of expr for msg to out (cleared first).
// REQUIRES: checkHashExpression(expr) is ok.
void evalHashExpression(std::string_view expr, const sip::Message& msg,
                        const transport::Inbound& in, std::string& out);

}  // namespace tandem::edge
