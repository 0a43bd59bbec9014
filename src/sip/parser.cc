// The message parser: one pass over the buffer splitting lines, filing headers by id and decoding
// only the headers routing reads. The first error wins; parsing goes on after it so that a 400
// can still copy Via, From, To, Call-ID and CSeq.
#include <bit>
#include <cstdint>
#include <cstring>

#include "sip/chars.h"
#include "sip/message.h"

namespace tandem::sip {

using detail::is;
using detail::isLws;
using detail::isWs;
using detail::skipLws;

namespace {

constexpr std::string_view kMalformedRequestLine = "Bad Request - Malformed Request-Line";
constexpr std::string_view kMalformedStatusLine = "Bad Request - Malformed Status-Line";
constexpr std::string_view kMalformedHeader = "Bad Request - Malformed Header";
constexpr std::string_view kTooManyHeaders = "Bad Request - Too Many Headers";

// "SIP/" 1*DIGIT "." 1*DIGIT, "SIP" in any case (RFC 3261 §7.1 + ABNF case rules).
bool looksLikeSipVersion(std::string_view v) {
  if (v.size() < 7 || !detail::istartsWith(v, "SIP/")) return false;
  size_t dot = v.find('.', 4);
  if (dot == std::string_view::npos || dot == 4 || dot + 1 == v.size()) return false;
  for (size_t i = 4; i < v.size(); ++i) {
    if (i != dot && !detail::isDigit(v[i])) return false;
  }
  return true;
}

bool isSip20(std::string_view v) { return detail::iequals(v, "SIP/2.0"); }

// Index of the first CR or LF at or after i, s.size() when none. Eight bytes per step: the
// classic "has a zero byte" test on the input XOR-ed with each target; its lowest hit is exact.
size_t findCrOrLf(std::string_view s, size_t i) {
  const size_t n = s.size();
  if constexpr (std::endian::native == std::endian::little) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    constexpr uint64_t kHigh = 0x8080808080808080ULL;
    for (; i + 8 <= n; i += 8) {
      uint64_t v;
      std::memcpy(&v, s.data() + i, 8);
      uint64_t cr = v ^ (kOnes * '\r');
      uint64_t lf = v ^ (kOnes * '\n');
      uint64_t hit = ((cr - kOnes) & ~cr & kHigh) | ((lf - kOnes) & ~lf & kHigh);
      if (hit != 0) return i + static_cast<size_t>(std::countr_zero(hit) >> 3);
    }
  }
  for (; i < n; ++i) {
    if (s[i] == '\r' || s[i] == '\n') return i;
  }
  return n;
}

bool hasWs(std::string_view s) {
  for (char c : s) {
    if (isWs(c)) return true;
  }
  return false;
}

}  // namespace

class Parser {
 public:
  explicit Parser(Message& m) : m_(m) {}

  void run(std::string_view buf) {
    buf_ = buf;
    const size_t n = buf.size();
    size_t pos = 0;
    while (pos + 1 < n && buf[pos] == '\r' && buf[pos + 1] == '\n') pos += 2;

    size_t eol = findCrlf(pos);
    m_.isRequest_ = !detail::istartsWith(buf.substr(pos), "SIP/");
    if (eol == std::string_view::npos) {
      m_.startLine_ = buf.substr(pos);
      m_.fail(400, m_.isRequest_ ? kMalformedRequestLine : kMalformedStatusLine);
      finish(n, n, false);
      return;
    }
    std::string_view line = buf.substr(pos, eol - pos);
    m_.startLine_ = line;
    if (m_.isRequest_) {
      parseRequestLine(line);
    } else {
      parseStatusLine(line);
    }
    pos = eol + 2;

    bool endFound = false;
    while (pos < n) {
      if (buf[pos] == '\r' && pos + 1 < n && buf[pos + 1] == '\n') {
        m_.headersEnd_ = pos;
        pos += 2;
        endFound = true;
        break;
      }
      size_t start = pos;
      size_t e = findCrlf(pos);
      while (e != std::string_view::npos && e + 2 < n && isWs(buf[e + 2])) {
        e = findCrlf(e + 2);  // folded continuation line
      }
      if (e == std::string_view::npos) {
        m_.fail(400, "Bad Request - Incomplete Header");
        pos = n;
        break;
      }
      pos = e + 2;
      processLine(buf.substr(start, pos - start), buf.substr(start, e - start));
    }
    if (!endFound) m_.headersEnd_ = pos;
    finish(pos, n, endFound);
  }

 private:
  // Index of the next CRLF at or after from; npos when none. A bare CR or LF on the way is a
  // syntax error (the line is then delimited by the next real CRLF).
  size_t findCrlf(size_t from) {
    const size_t n = buf_.size();
    for (size_t i = from;;) {
      size_t k = findCrOrLf(buf_, i);
      if (k >= n) return std::string_view::npos;
      if (buf_[k] == '\r' && k + 1 < n && buf_[k + 1] == '\n') return k;
      m_.fail(400, kMalformedHeader);
      i = k + 1;
    }
  }

  void parseRequestLine(std::string_view line) {
    // Trailing white space after the version is tolerated (RFC 4475 trws: liberal choice).
    while (!line.empty() && isWs(line.back())) line.remove_suffix(1);
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0) return m_.fail(400, kMalformedRequestLine);
    std::string_view method = line.substr(0, sp1);
    std::string_view rest = line.substr(sp1 + 1);
    size_t sp2 = rest.find(' ');
    if (sp2 == std::string_view::npos || sp2 == 0) return m_.fail(400, kMalformedRequestLine);
    std::string_view uri = rest.substr(0, sp2);
    std::string_view version = rest.substr(sp2 + 1);
    if (!detail::allOf(method, detail::kToken)) return m_.fail(400, kMalformedRequestLine);
    m_.methodToken_ = method;
    m_.method_ = methodFromToken(method);
    if (version.empty() || hasWs(version)) {
      return m_.fail(400, kMalformedRequestLine);  // RFC 4475 lwsruri, lwsstart
    }
    m_.requestUriText_ = uri;
    m_.version_ = version;
    if (!isSip20(version)) {
      return m_.fail(looksLikeSipVersion(version) ? 505 : 400, looksLikeSipVersion(version)
                                                                   ? "Version Not Supported"
                                                                   : kMalformedRequestLine);
    }
    if (!parseUri(uri, &m_.requestUri_)) {
      return m_.fail(400, "Bad Request - Malformed Request-URI");  // RFC 4475 ltgtruri
    }
    if (!m_.requestUri_.headers.empty()) {
      return m_.fail(400, "Bad Request - Headers In Request-URI");  // RFC 4475 escruri
    }
  }

  void parseStatusLine(std::string_view line) {
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return m_.fail(400, kMalformedStatusLine);
    m_.version_ = line.substr(0, sp1);
    if (!isSip20(m_.version_)) {
      return m_.fail(looksLikeSipVersion(m_.version_) ? 505 : 400, looksLikeSipVersion(m_.version_)
                                                                       ? "Version Not Supported"
                                                                       : kMalformedStatusLine);
    }
    std::string_view rest = line.substr(sp1 + 1);
    // Exactly three digits (RFC 4475 bigcode), then SP and a possibly empty reason (noreason).
    if (rest.size() < 3 || (rest.size() > 3 && rest[3] != ' ')) {
      return m_.fail(400, kMalformedStatusLine);
    }
    uint64_t code = 0;
    if (!detail::parseDecimal(rest.substr(0, 3), 999, code) || code < 100 || code > 699) {
      return m_.fail(400, kMalformedStatusLine);
    }
    m_.statusCode_ = static_cast<int>(code);
    m_.reasonPhrase_ = rest.size() > 3 ? rest.substr(4) : std::string_view();
  }

  void processLine(std::string_view raw, std::string_view content) {
    size_t i = detail::scanClass(content, 0, detail::kToken);
    if (i == 0) return m_.fail(400, kMalformedHeader);
    std::string_view name = content.substr(0, i);
    while (i < content.size() && isWs(content[i])) ++i;
    if (i >= content.size() || content[i] != ':') return m_.fail(400, kMalformedHeader);
    std::string_view value = detail::trimLws(content.substr(i + 1));
    if (m_.headers_.size() >= kMaxHeaders) return m_.fail(400, kTooManyHeaders);
    HeaderId id = headerIdFromName(name);
    auto idx = static_cast<uint16_t>(m_.headers_.size());
    m_.headers_.push_back(HeaderField{id, name, value, raw});
    auto k = static_cast<size_t>(id);
    if (m_.count_[k] == 0) m_.first_[k] = idx;
    if (m_.count_[k] < 255) ++m_.count_[k];
    decode(id, value, idx);
  }

  void decode(HeaderId id, std::string_view value, uint16_t idx) {
    switch (id) {
      case HeaderId::kVia:
        return decodeVia(value, idx);
      case HeaderId::kFrom:
        return decodeFromTo(id, value, idx, &m_.from_, &m_.hasFrom_, &m_.fromMulti_,
                            "Bad Request - Malformed From");
      case HeaderId::kTo:
        return decodeFromTo(id, value, idx, &m_.to_, &m_.hasTo_, &m_.toMulti_,
                            "Bad Request - Malformed To");
      case HeaderId::kCallId:
        return decodeCallId(value);
      case HeaderId::kCSeq:
        return decodeCSeq(value);
      case HeaderId::kMaxForwards:
        return decodeNumber(value, 255, isFirst(id) ? &m_.maxForwards_ : nullptr,
                            "Bad Request - Malformed Max-Forwards",
                            "Bad Request - Max-Forwards Out Of Range");
      case HeaderId::kExpires:
        return decodeNumber(value, 0xffffffffULL, isFirst(id) ? &m_.expires_ : nullptr,
                            "Bad Request - Malformed Expires",
                            "Bad Request - Expires Out Of Range");
      case HeaderId::kContentLength:
        if (m_.count_[static_cast<size_t>(id)] > 1) {
          // Two lengths make the message boundary ambiguous (RFC 4475 mcl01).
          m_.contentLength_.reset();
          return m_.fail(400, "Bad Request - Duplicate Content-Length");
        }
        return decodeNumber(value, 0xffffffffULL, &m_.contentLength_,
                            "Bad Request - Malformed Content-Length",
                            "Bad Request - Content-Length Too Large");
      case HeaderId::kRoute:
        return decodeNameAddrList(value, idx, &m_.routes_, true, "Bad Request - Malformed Route");
      case HeaderId::kRecordRoute:
        return decodeNameAddrList(value, idx, &m_.recordRoutes_, true,
                                  "Bad Request - Malformed Record-Route");
      case HeaderId::kContact:
        if (value == "*") {
          m_.contactStar_ = true;
          return;
        }
        return decodeNameAddrList(value, idx, &m_.contacts_, false,
                                  "Bad Request - Malformed Contact");
      default:
        return;
    }
  }

  void decodeVia(std::string_view value, uint16_t idx) {
    size_t pos = 0;
    // Only the first Via line holds the top Via; a good later line must not stand in for it.
    const bool top = m_.count_[static_cast<size_t>(HeaderId::kVia)] == 1;
    while (true) {
      if (m_.vias_.size() >= kMaxListEntries) return m_.fail(400, kTooManyHeaders);
      Via v;
      v.line = idx;
      if (!parseViaAt(value, &pos, &v)) return m_.fail(400, "Bad Request - Malformed Via");
      m_.vias_.push_back(v);
      if (top && m_.vias_.size() == 1) m_.topViaOk_ = true;
      if (pos >= value.size()) return;
      if (value[pos] != ',') return m_.fail(400, "Bad Request - Malformed Via");
      ++pos;
    }
  }

  static bool parseViaAt(std::string_view t, size_t* pos, Via* v) {
    const size_t n = t.size();
    size_t i = skipLws(t, *pos);
    const size_t start = i;
    auto token = [&](std::string_view* out) {
      size_t e = detail::scanClass(t, i, detail::kToken);
      if (e == i) return false;
      *out = t.substr(i, e - i);
      i = skipLws(t, e);
      return true;
    };
    auto slash = [&] {
      if (i >= n || t[i] != '/') return false;
      i = skipLws(t, i + 1);
      return true;
    };
    if (!token(&v->protocolName) || !slash() || !token(&v->protocolVersion) || !slash()) {
      return false;
    }
    size_t e = detail::scanClass(t, i, detail::kToken);
    if (e == i || e >= n || !isLws(t[e])) return false;  // LWS must separate sent-by
    v->transport = t.substr(i, e - i);
    i = skipLws(t, e);
    size_t hostEnd;
    if (i < n && t[i] == '[') {
      size_t close = t.find(']', i);
      if (close == std::string_view::npos || close == i + 1) return false;
      for (size_t k = i + 1; k < close; ++k) {
        if (!is(t[k], detail::kHex) && t[k] != ':' && t[k] != '.') return false;
      }
      hostEnd = close + 1;
    } else {
      hostEnd = detail::scanClass(t, i, detail::kHost);
      if (hostEnd == i) return false;
    }
    v->host = t.substr(i, hostEnd - i);
    size_t end = hostEnd;
    i = skipLws(t, hostEnd);
    if (i < n && t[i] == ':') {
      i = skipLws(t, i + 1);
      size_t d = detail::scanClass(t, i, detail::kDigit);
      uint64_t port = 0;
      if (d == i || d - i > 5 || !detail::parseDecimal(t.substr(i, d - i), 65535, port)) {
        return false;
      }
      v->port = static_cast<uint16_t>(port);
      v->hasPort = true;
      end = d;
      i = d;
    } else {
      i = end;
    }
    if (!detail::parseHeaderParams(t, &i, &v->params)) return false;
    for (const Params::Param& p : v->params) {
      if (detail::iequals(p.name, "branch")) {
        v->branch = p.value;
      } else if (detail::iequals(p.name, "received")) {
        v->received = p.value;
      } else if (detail::iequals(p.name, "rport")) {
        v->rport = p.value;
        v->hasRport = true;
      } else if (detail::iequals(p.name, "maddr")) {
        v->maddr = p.value;
      } else if (detail::iequals(p.name, "ttl")) {
        v->ttl = p.value;
      }
    }
    if (!v->params.text().empty()) end = i;
    v->text = t.substr(start, end - start);
    *pos = skipLws(t, i);
    return true;
  }

  void decodeFromTo(HeaderId id, std::string_view value, uint16_t idx, NameAddr* out, bool* has,
                    bool* multi, std::string_view error) {
    // Only the first line is decoded: the one a response copies. checkRequest rejects the rest.
    if (!isFirst(id)) return;
    size_t pos = 0;
    out->line = idx;
    if (!detail::parseNameAddrAt(value, &pos, out)) return m_.fail(400, error);
    if (pos < value.size()) {
      if (value[pos] != ',') return m_.fail(400, error);
      *multi = true;
    }
    *has = true;
  }

  // True while decoding the first line carrying id (the count was bumped before decode()).
  bool isFirst(HeaderId id) const { return m_.count_[static_cast<size_t>(id)] == 1; }

  void decodeCallId(std::string_view value) {
    // Liberal on purpose: Call-IDs from the field carry '=' or '#' that RFC 3261's word lacks.
    // Only emptiness, white space and controls are refused.
    bool ok = !value.empty();
    for (char c : value) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f) ok = false;
    }
    if (!ok) return m_.fail(400, "Bad Request - Malformed Call-ID");
    if (isFirst(HeaderId::kCallId)) m_.callId_ = value;
  }

  void decodeCSeq(std::string_view value) {
    constexpr std::string_view kMalformed = "Bad Request - Malformed CSeq";
    size_t d = detail::scanClass(value, 0, detail::kDigit);
    if (d == 0 || d >= value.size() || !isLws(value[d])) return m_.fail(400, kMalformed);
    size_t ms = skipLws(value, d);
    size_t me = detail::scanClass(value, ms, detail::kToken);
    if (me == ms || me != value.size()) return m_.fail(400, kMalformed);
    uint64_t number = 0;
    if (!detail::parseDecimal(value.substr(0, d), 0x7fffffffULL, number)) {
      return m_.fail(400, "Bad Request - CSeq Out Of Range");  // RFC 4475 scalar02, scalarlg
    }
    if (!isFirst(HeaderId::kCSeq)) return;
    m_.cseq_.number = static_cast<uint32_t>(number);
    m_.cseq_.methodToken = value.substr(ms, me - ms);
    m_.cseq_.method = methodFromToken(m_.cseq_.methodToken);
    m_.hasCSeq_ = true;
  }

  // out is nullptr for a repeated header: checked for syntax, not stored.
  void decodeNumber(std::string_view value, uint64_t max, std::optional<uint32_t>* out,
                    std::string_view malformed, std::string_view outOfRange) {
    if (!detail::allOf(value, detail::kDigit)) return m_.fail(400, malformed);
    uint64_t v = 0;
    if (!detail::parseDecimal(value, max, v)) return m_.fail(400, outOfRange);
    if (out != nullptr) *out = static_cast<uint32_t>(v);
  }

  void decodeNameAddrList(std::string_view value, uint16_t idx, std::vector<NameAddr>* list,
                          bool nameAddrOnly, std::string_view error) {
    size_t pos = 0;
    while (true) {
      if (list->size() >= kMaxListEntries) return m_.fail(400, kTooManyHeaders);
      NameAddr na;
      na.line = idx;
      if (!detail::parseNameAddrAt(value, &pos, &na)) return m_.fail(400, error);
      // Route and Record-Route are name-addr only (RFC 3261 §20.30): without <> a ";lr"
      // would silently become a header parameter.
      if (nameAddrOnly && !na.angleBrackets) return m_.fail(400, error);
      list->push_back(na);
      if (pos >= value.size()) return;
      if (value[pos] != ',') return m_.fail(400, error);
      ++pos;
    }
  }

  void finish(size_t headerBytes, size_t n, bool endFound) {
    ParseResult& r = m_.result_;
    size_t bodyStart = endFound ? headerBytes : n;
    size_t consumed = n;
    if (m_.contentLength_) {
      size_t cl = *m_.contentLength_;
      if (cl > n - bodyStart) {
        m_.fail(400, "Bad Request - Content-Length Too Large");  // RFC 4475 clerr
      } else {
        consumed = bodyStart + cl;
      }
    }
    m_.body_ = buf_.substr(bodyStart, consumed - bodyStart);
    m_.buf_ = buf_.substr(0, consumed);
    r.consumed = consumed;
    auto present = [this](HeaderId id) {
      auto k = static_cast<size_t>(id);
      return m_.count_[k] > 0 && !m_.headers_[m_.first_[k]].value.empty();
    };
    r.respondable = m_.isRequest_ && m_.topViaOk_ && present(HeaderId::kFrom) &&
                    present(HeaderId::kTo) && present(HeaderId::kCallId) &&
                    present(HeaderId::kCSeq);
    r.drop = !r.ok() && (!m_.isRequest_ || !r.respondable);
  }

  Message& m_;
  std::string_view buf_;
};

void Message::fail(int status, std::string_view reason) {
  if (result_.status != 0) return;
  result_.status = status;
  result_.reason = reason;
}

const ParseResult& Message::parse(std::string_view buffer) {
  clear();
  Parser(*this).run(buffer);
  return result_;
}

}  // namespace tandem::sip
