// SIP request methods as an enum; unknown extension methods are kept as their token by the
// message, since RFC 3261 lets a proxy forward any method it does not understand.
#pragma once

#include <cstdint>
#include <string_view>

namespace tandem::sip {

enum class Method : uint8_t {
  kUnknown = 0,
  kInvite,
  kAck,
  kBye,
  kCancel,
  kOptions,
  kRegister,
  kPrack,
  kSubscribe,
  kNotify,
  kPublish,
  kInfo,
  kRefer,
  kMessage,
  kUpdate,
};

// Method names are case-sensitive (RFC 3261 §7.1): "invite" is an unknown extension method.
Method methodFromToken(std::string_view token);

// "INVITE", "ACK", ...; "" for kUnknown.
std::string_view methodName(Method m);

}  // namespace tandem::sip
