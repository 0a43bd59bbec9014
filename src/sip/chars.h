// Character classes of the SIP grammar (RFC 3261 §25) as one lookup table, and the small
// scanning helpers every sip parser shares. Internal to src/sip; no allocation, no locale.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::sip::detail {

enum CharClass : uint16_t {
  kAlpha = 1 << 0,
  kDigit = 1 << 1,
  kHex = 1 << 2,
  kToken = 1 << 3,       // token: alphanum - . ! % * _ + ` ' ~
  kUnreserved = 1 << 4,  // alphanum and mark: - _ . ! ~ * ' ( )
  kUserExtra = 1 << 5,   // user-unreserved: & = + $ , ; ? /
  kPassExtra = 1 << 6,   // password: & = + $ ,
  kParamExtra = 1 << 7,  // param-unreserved: [ ] / : & + $
  kHnvExtra = 1 << 8,    // hnv-unreserved: [ ] / ? : + $
  kHost = 1 << 9,        // hostname and IPv4: alphanum - . (and _ , which real hosts send)
  kWord = 1 << 10,       // Call-ID word: token chars and ( ) < > : \ " / [ ] ? { }
  kScheme = 1 << 11,     // scheme after the first letter: alphanum + - .
  kWs = 1 << 12,         // SP HTAB
  kLws = 1 << 13,        // SP HTAB CR LF: inside a stored header value CR LF only come from folding
  kReserved = 1 << 14,   // reserved: ; / ? : @ & = + $ ,
};

constexpr std::array<uint16_t, 256> makeCharTable() {
  std::array<uint16_t, 256> t{};
  auto add = [&t](std::string_view chars, uint16_t cls) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= cls;
  };
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kAlpha;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kAlpha;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit | kHex;
  add("abcdefABCDEF", kHex);
  for (int c = 0; c < 256; ++c) {
    if (t[c] & (kAlpha | kDigit)) {
      t[c] |= kToken | kUnreserved | kHost | kWord | kScheme;
    }
  }
  add("-.!%*_+`'~", kToken | kWord);
  add("-_.!~*'()", kUnreserved);
  add("&=+$,;?/", kUserExtra);
  add("&=+$,", kPassExtra);
  add("[]/:&+$", kParamExtra);
  add("[]/?:+$", kHnvExtra);
  add("-._", kHost);
  add("()<>:\\\"/[]?{}", kWord);
  add("+-.", kScheme);
  add(" \t", kWs | kLws);
  add("\r\n", kLws);
  add(";/?:@&=+$,", kReserved);
  return t;
}

inline constexpr std::array<uint16_t, 256> kCharTable = makeCharTable();

inline bool is(char c, uint16_t cls) {
  return (kCharTable[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }
inline bool isWs(char c) { return c == ' ' || c == '\t'; }
inline bool isLws(char c) { return is(c, kLws); }

constexpr std::array<char, 256> makeLowerTable() {
  std::array<char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
  }
  return t;
}
inline constexpr std::array<char, 256> kLowerTable = makeLowerTable();

inline char lower(char c) { return kLowerTable[static_cast<unsigned char>(c)]; }

inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// ASCII case-insensitive equality; bytes >= 0x80 compare exactly.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

inline bool istartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Index of the first character at or after i that is not linear white space.
inline size_t skipLws(std::string_view s, size_t i) {
  while (i < s.size() && isLws(s[i])) ++i;
  return i;
}

inline std::string_view trimLws(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && isLws(s[b])) ++b;
  while (e > b && isLws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// End of the run of characters of class cls starting at i.
inline size_t scanClass(std::string_view s, size_t i, uint16_t cls) {
  while (i < s.size() && is(s[i], cls)) ++i;
  return i;
}

// All characters of s are of class cls, and s is not empty.
inline bool allOf(std::string_view s, uint16_t cls) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is(c, cls)) return false;
  }
  return true;
}

// Decimal digits only, no sign. Returns false on anything else, on empty input, and when the
// value exceeds max (leading zeros are fine: "0068" is 68, RFC 4475 wsinv).
inline bool parseDecimal(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return false;
  }
  out = v;
  return true;
}

// Index just past a quoted-string whose opening quote is at s[i], honouring quoted-pairs; npos if
// the string is not terminated (RFC 4475 quotbal).
inline size_t skipQuoted(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Index of the next comma at or after i that separates list elements: commas inside a
// quoted-string or between angle brackets do not count. s.size() when there is none.
inline size_t findListComma(std::string_view s, size_t i) {
  bool inAngle = false;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      size_t e = skipQuoted(s, i);
      if (e == std::string_view::npos) return s.size();
      i = e;
      continue;
    }
    if (c == '<') {
      inAngle = true;
    } else if (c == '>') {
      inAngle = false;
    } else if (c == ',' && !inAngle) {
      return i;
    }
    ++i;
  }
  return s.size();
}

}  // namespace tandem::sip::detail
