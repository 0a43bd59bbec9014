// Authorization / Proxy-Authorization credentials (RFC 3261 §20.7, §22.4) split into scheme and
// auth-params in place; the digest computation itself belongs to the auth stage.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem::sip {

enum class AuthScheme : uint8_t { kDigest, kUnknown };

// Lifetime: views the header value it was parsed from.
struct Credentials {
  AuthScheme scheme = AuthScheme::kUnknown;  // kUnknown for any scheme but Digest (any case)
  std::string_view schemeToken;              // as received
  std::string_view params;                   // everything after the scheme, raw

  // The auth-param with that name (case-insensitive) in the comma-separated list; quoted values
  // come without their quotes (quoted-pairs kept). nullopt when absent.
  std::optional<std::string_view> param(std::string_view name) const;
};

// Parses "scheme params". Returns false when the value does not start with a token. An unknown
// scheme is not an error: a registrar ignores it and challenges (RFC 4475 regaut01).
bool parseCredentials(std::string_view value, Credentials* out);

}  // namespace tandem::sip
