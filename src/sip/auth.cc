// Credentials splitting: scheme token, then comma-separated name=value pairs.
#include "sip/auth.h"

#include "sip/chars.h"

namespace tandem::sip {

bool parseCredentials(std::string_view value, Credentials* out) {
  *out = Credentials{};
  std::string_view v = detail::trimLws(value);
  size_t e = detail::scanClass(v, 0, detail::kToken);
  if (e == 0) return false;
  out->schemeToken = v.substr(0, e);
  out->scheme =
      detail::iequals(out->schemeToken, "Digest") ? AuthScheme::kDigest : AuthScheme::kUnknown;
  out->params = detail::trimLws(v.substr(e));
  return true;
}

std::optional<std::string_view> Credentials::param(std::string_view name) const {
  size_t i = 0;
  while (i < params.size()) {
    size_t comma = detail::findListComma(params, i);
    std::string_view p = detail::trimLws(params.substr(i, comma - i));
    i = comma + 1;
    size_t eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    if (!detail::iequals(detail::trimLws(p.substr(0, eq)), name)) continue;
    std::string_view val = detail::trimLws(p.substr(eq + 1));
    if (val.size() >= 2 && val.front() == '"' && val.back() == '"') {
      val = val.substr(1, val.size() - 2);
    }
    return val;
  }
  return std::nullopt;
}

}  // namespace tandem::sip
