// Small text helpers shared by the dispatcher's sources. Internal to dispatcher/.
#pragma once

#include <string>
#include <string_view>

namespace tandem::dispatcher {

// ASCII case-insensitive equality: attribute names and destination URIs are matched this way,
// like Kamailio (strncasecmp), so "sip:FS1" and "sip:fs1" name the same destination.
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// ASCII lowercase copy: the key under which URIs and duids are compared and hashed.
inline std::string toLowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace tandem::dispatcher
