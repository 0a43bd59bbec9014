// Stream framing: find CRLFCRLF, then read Content-Length (long or compact name) from the
// header lines seen so far. Only that one header is decoded; Message::parse() does the rest.
#include "sip/framing.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "sip/chars.h"

namespace tandem::sip {
namespace {

size_t findHeaderEnd(std::string_view s, size_t from) {
  while (from + 4 <= s.size()) {
    const void* hit = std::memchr(s.data() + from, '\r', s.size() - from);
    if (hit == nullptr) return std::string_view::npos;
    size_t k = static_cast<size_t>(static_cast<const char*>(hit) - s.data());
    if (k + 4 > s.size()) return std::string_view::npos;
    if (s[k + 1] == '\n' && s[k + 2] == '\r' && s[k + 3] == '\n') return k;
    from = k + 1;
  }
  return std::string_view::npos;
}

FrameResult error(FrameResult r, std::string_view why) {
  r.kind = FrameResult::Kind::kError;
  r.error = why;
  return r;
}

}  // namespace

FrameResult frame(std::string_view stream, size_t maxHeaderBytes, size_t maxBodyBytes) {
  FrameResult r;
  size_t p = 0;
  while (p + 1 < stream.size() && stream[p] == '\r' && stream[p + 1] == '\n') {
    if (p + 3 < stream.size() && stream[p + 2] == '\r' && stream[p + 3] == '\n') r.ping = true;
    p += 2;
  }
  r.skip = p;
  std::string_view msg = stream.substr(p);
  if (msg.empty() || (msg.size() == 1 && msg[0] == '\r')) return r;

  // The header section, final CRLFCRLF included, may take at most maxHeaderBytes.
  size_t end = findHeaderEnd(msg.substr(0, std::min(msg.size(), maxHeaderBytes)), 0);
  if (end == std::string_view::npos) {
    if (msg.size() >= maxHeaderBytes) return error(r, "Headers Too Large");
    return r;
  }

  // Walk the header lines (skipping the start line) for Content-Length.
  std::string_view headers = msg.substr(0, end + 2);
  bool found = false;
  uint64_t length = 0;
  size_t line = headers.find("\r\n");
  line = line == std::string_view::npos ? headers.size() : line + 2;
  while (line < headers.size()) {
    size_t eol = headers.find("\r\n", line);
    if (eol == std::string_view::npos) eol = headers.size();
    // Folded continuation lines belong to the field before them.
    while (eol + 2 < headers.size() && detail::isWs(headers[eol + 2])) {
      size_t next = headers.find("\r\n", eol + 2);
      eol = next == std::string_view::npos ? headers.size() : next;
    }
    std::string_view field = headers.substr(line, eol - line);
    line = eol + 2;
    size_t n = detail::scanClass(field, 0, detail::kToken);
    std::string_view name = field.substr(0, n);
    if (!detail::iequals(name, "content-length") && !detail::iequals(name, "l")) continue;
    size_t c = n;
    while (c < field.size() && detail::isWs(field[c])) ++c;
    if (c >= field.size() || field[c] != ':') continue;
    std::string_view value = detail::trimLws(field.substr(c + 1));
    uint64_t v = 0;
    if (!detail::parseDecimal(value, UINT32_MAX, v)) {
      // All digits but too big is still a length, just not one we take.
      if (detail::allOf(value, detail::kDigit)) return error(r, "Body Too Large");
      return error(r, "Malformed Content-Length");
    }
    if (found && v != length) return error(r, "Conflicting Content-Length");
    found = true;
    length = v;
  }
  if (!found) return error(r, "Missing Content-Length");
  if (length > maxBodyBytes) return error(r, "Body Too Large");
  size_t total = end + 4 + static_cast<size_t>(length);
  if (msg.size() < total) return r;
  r.kind = FrameResult::Kind::kComplete;
  r.length = total;
  return r;
}

}  // namespace tandem::sip
