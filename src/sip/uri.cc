// URI parsing and comparison, name-addr parsing. Everything works on views of the caller's text.
#include "sip/uri.h"

#include "sip/chars.h"

namespace tandem::sip {

using detail::is;
using detail::isLws;
using detail::skipLws;

// ---------------------------------------------------------------------------------------------
// Params

Params::Iterator::Iterator(std::string_view text, size_t pos) : text_(text), pos_(pos) {
  if (pos_ <= text_.size()) load();
}

void Params::Iterator::load() {
  const size_t n = text_.size();
  size_t i = skipLws(text_, pos_);
  bool sawSemi = false;
  if (i < n && text_[i] == ';') {
    sawSemi = true;
    i = skipLws(text_, i + 1);
  }
  size_t nameStart = i;
  while (i < n && text_[i] != ';' && text_[i] != '=' && !isLws(text_[i])) ++i;
  cur_ = Param{text_.substr(nameStart, i - nameStart), {}, false};
  if (cur_.name.empty() && i >= n) {
    pos_ = n + 1;  // nothing left but separators
    return;
  }
  i = skipLws(text_, i);
  if (i < n && text_[i] == '=') {
    i = skipLws(text_, i + 1);
    size_t vs = i;
    if (i < n && text_[i] == '"') {
      size_t e = detail::skipQuoted(text_, i);
      i = e == std::string_view::npos ? n : e;
    } else {
      while (i < n && text_[i] != ';' && !isLws(text_[i])) ++i;
    }
    cur_.value = text_.substr(vs, i - vs);
    cur_.hasValue = true;
  }
  // Whatever is left before the next ';' is not part of any parameter.
  while (i < n && text_[i] != ';') ++i;
  if (i == pos_ && !sawSemi) ++i;  // always make progress
  next_ = i;
}

Params::Iterator& Params::Iterator::operator++() {
  pos_ = next_;
  if (pos_ >= text_.size()) {
    pos_ = text_.size() + 1;
  } else {
    load();
  }
  return *this;
}

std::optional<std::string_view> Params::get(std::string_view name) const {
  for (const Param& p : *this) {
    if (detail::iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// URI parsing

namespace {

// Every character is of class cls (or one of extra) or a well-formed %XX escape.
bool validEscaped(std::string_view s, uint16_t cls, std::string_view extra = {}) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return false;
      if (detail::hexValue(s[i + 1]) < 0 || detail::hexValue(s[i + 2]) < 0) return false;
      i += 2;
    } else if (!is(c, cls) && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// ";name[=value]" URI parameters (RFC 3261 uri-parameters): non-empty names and values made of
// paramchar. Text starts with ';'.
bool validUriParams(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != ';') return false;
    ++i;
    size_t e = i;
    while (e < s.size() && s[e] != ';') ++e;
    std::string_view p = s.substr(i, e - i);
    size_t eq = p.find('=');
    std::string_view name = p.substr(0, eq);
    if (name.empty() || !validEscaped(name, detail::kUnreserved | detail::kParamExtra)) {
      return false;
    }
    if (eq != std::string_view::npos) {
      std::string_view value = p.substr(eq + 1);
      if (value.empty() || !validEscaped(value, detail::kUnreserved | detail::kParamExtra)) {
        return false;
      }
    }
    i = e;
  }
  return true;
}

// hname=hvalue *( & hname=hvalue ).
bool validUriHeaders(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  while (i <= s.size()) {
    size_t e = s.find('&', i);
    if (e == std::string_view::npos) e = s.size();
    std::string_view h = s.substr(i, e - i);
    size_t eq = h.find('=');
    if (eq == 0 || eq == std::string_view::npos) return false;
    std::string_view name = h.substr(0, eq);
    std::string_view value = h.substr(eq + 1);
    const uint16_t cls = detail::kUnreserved | detail::kHnvExtra;
    if (!validEscaped(name, cls)) return false;
    if (!value.empty() && !validEscaped(value, cls)) return false;
    i = e + 1;
  }
  return true;
}

bool parseHostPort(std::string_view hp, Uri* out) {
  if (hp.empty()) return false;
  size_t i = 0;
  if (hp[0] == '[') {
    size_t close = hp.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    for (size_t k = 1; k < close; ++k) {
      char c = hp[k];
      if (!is(c, detail::kHex) && c != ':' && c != '.') return false;
    }
    out->host = hp.substr(0, close + 1);
    i = close + 1;
  } else {
    i = detail::scanClass(hp, 0, detail::kHost);
    if (i == 0) return false;
    out->host = hp.substr(0, i);
  }
  if (i == hp.size()) return true;
  if (hp[i] != ':') return false;
  std::string_view digits = hp.substr(i + 1);
  uint64_t port = 0;
  if (digits.size() > 5 || !detail::parseDecimal(digits, 65535, port)) return false;
  out->port = static_cast<uint16_t>(port);
  out->hasPort = true;
  return true;
}

bool parseSipRest(std::string_view rest, Uri* out) {
  size_t hostStart = 0;
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    size_t colon = userinfo.find(':');
    out->user = userinfo.substr(0, colon);
    if (colon != std::string_view::npos) out->password = userinfo.substr(colon + 1);
    // '#' is not legal unescaped, but dial strings carry it in the wild and it is unambiguous.
    if (out->user.empty() ||
        !validEscaped(out->user, detail::kUnreserved | detail::kUserExtra, "#")) {
      return false;
    }
    if (!out->password.empty() &&
        !validEscaped(out->password, detail::kUnreserved | detail::kPassExtra)) {
      return false;
    }
    hostStart = at + 1;
  }
  size_t hpEnd = hostStart;
  while (hpEnd < rest.size() && rest[hpEnd] != ';' && rest[hpEnd] != '?') ++hpEnd;
  if (!parseHostPort(rest.substr(hostStart, hpEnd - hostStart), out)) return false;
  size_t i = hpEnd;
  if (i < rest.size() && rest[i] == ';') {
    size_t pe = rest.find('?', i);
    if (pe == std::string_view::npos) pe = rest.size();
    std::string_view p = rest.substr(i, pe - i);
    if (!validUriParams(p)) return false;
    out->params = Params(p);
    i = pe;
  }
  if (i < rest.size()) {  // rest[i] == '?'
    out->headers = rest.substr(i + 1);
    if (!validUriHeaders(out->headers)) return false;
  }
  return true;
}

bool parseTelRest(std::string_view rest, Uri* out) {
  size_t semi = rest.find(';');
  std::string_view number = rest.substr(0, semi);
  if (number.empty()) return false;
  for (char c : number) {
    if (!is(c, detail::kHex) && std::string_view("*#+-.()pPwW").find(c) == std::string_view::npos) {
      return false;
    }
  }
  out->user = number;
  if (semi != std::string_view::npos) {
    std::string_view p = rest.substr(semi);
    if (!validUriParams(p)) return false;
    out->params = Params(p);
  }
  return true;
}

}  // namespace

bool parseUri(std::string_view text, Uri* out) {
  *out = Uri{};
  out->text = text;
  if (text.empty() || !is(text[0], detail::kAlpha)) return false;
  size_t colon = detail::scanClass(text, 1, detail::kScheme);
  if (colon >= text.size() || text[colon] != ':') return false;
  out->schemeText = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  if (detail::iequals(out->schemeText, "sip")) {
    out->scheme = UriScheme::kSip;
    return parseSipRest(rest, out);
  }
  if (detail::iequals(out->schemeText, "sips")) {
    out->scheme = UriScheme::kSips;
    return parseSipRest(rest, out);
  }
  if (detail::iequals(out->schemeText, "tel")) {
    out->scheme = UriScheme::kTel;
    return parseTelRest(rest, out);
  }
  out->scheme = UriScheme::kOther;
  if (rest.empty()) return false;
  for (char c : rest) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '"') return false;
  }
  out->opaque = rest;
  return true;
}

std::optional<Uri> parseUri(std::string_view text) {
  Uri u;
  if (!parseUri(text, &u)) return std::nullopt;
  return u;
}

// ---------------------------------------------------------------------------------------------
// Comparison

namespace {

// One logical character of a URI component: a literal byte or a %XX escape.
struct Unit {
  int octet;
  bool escaped;
};

Unit nextUnit(std::string_view s, size_t& i) {
  if (s[i] == '%' && i + 2 < s.size()) {
    int hi = detail::hexValue(s[i + 1]);
    int lo = detail::hexValue(s[i + 2]);
    if (hi >= 0 && lo >= 0) {
      i += 3;
      return Unit{hi * 16 + lo, true};
    }
  }
  return Unit{static_cast<unsigned char>(s[i++]), false};
}

int fold(int c, bool ignoreCase) { return (ignoreCase && c >= 'A' && c <= 'Z') ? c + 32 : c; }

bool sameTel(std::string_view a, std::string_view b) {
  auto visual = [](char c) { return c == '-' || c == '.' || c == '(' || c == ')'; };
  size_t i = 0;
  size_t j = 0;
  while (true) {
    while (i < a.size() && visual(a[i])) ++i;
    while (j < b.size() && visual(b[j])) ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (detail::lower(a[i]) != detail::lower(b[j])) return false;
    ++i;
    ++j;
  }
}

const Params::Param* findParam(const Params& ps, std::string_view name, Params::Param* slot) {
  for (const Params::Param& p : ps) {
    if (escapedEquals(p.name, name, true)) {
      *slot = p;
      return slot;
    }
  }
  return nullptr;
}

bool paramValueEquals(const Params::Param& a, const Params::Param& b) {
  return a.hasValue == b.hasValue && escapedEquals(a.value, b.value, true);
}

// §19.1.4: these parameters must match even when only one URI carries them.
bool mustMatchParam(std::string_view name) {
  for (std::string_view s : {"user", "ttl", "method", "maddr", "transport"}) {
    if (escapedEquals(name, s, true)) return true;
  }
  return false;
}

bool sipParamsEqual(const Params& a, const Params& b) {
  Params::Param slot;
  for (const Params::Param& p : a) {
    if (p.name.empty()) continue;
    const Params::Param* q = findParam(b, p.name, &slot);
    if (q ? !paramValueEquals(p, *q) : mustMatchParam(p.name)) return false;
  }
  for (const Params::Param& q : b) {
    if (q.name.empty()) continue;
    if (!findParam(a, q.name, &slot) && mustMatchParam(q.name)) return false;
  }
  return true;
}

// Every parameter present in both with equal values (tel URIs, RFC 3966 §4).
bool allParamsEqual(const Params& a, const Params& b) {
  Params::Param slot;
  size_t na = 0;
  size_t nb = 0;
  for (const Params::Param& p : a) {
    ++na;
    const Params::Param* q = findParam(b, p.name, &slot);
    if (!q || !paramValueEquals(p, *q)) return false;
  }
  for (auto it = b.begin(); it != b.end(); ++it) ++nb;
  return na == nb;
}

template <typename Fn>
void forEachUriHeader(std::string_view s, Fn fn) {
  size_t i = 0;
  while (i < s.size()) {
    size_t e = s.find('&', i);
    if (e == std::string_view::npos) e = s.size();
    std::string_view h = s.substr(i, e - i);
    size_t eq = h.find('=');
    fn(h.substr(0, eq), eq == std::string_view::npos ? std::string_view() : h.substr(eq + 1));
    i = e + 1;
  }
}

bool headersSubset(std::string_view a, std::string_view b) {
  bool ok = true;
  forEachUriHeader(a, [&](std::string_view name, std::string_view value) {
    bool found = false;
    forEachUriHeader(b, [&](std::string_view n2, std::string_view v2) {
      if (!found && escapedEquals(name, n2, true) && escapedEquals(value, v2, false)) found = true;
    });
    ok = ok && found;
  });
  return ok;
}

}  // namespace

bool escapedEquals(std::string_view a, std::string_view b, bool ignoreCase) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    Unit x = nextUnit(a, i);
    Unit y = nextUnit(b, j);
    if (fold(x.octet, ignoreCase) != fold(y.octet, ignoreCase)) return false;
    if (x.escaped != y.escaped && is(static_cast<char>(x.octet), detail::kReserved)) {
      return false;  // an escaped reserved character is data, the literal one is syntax
    }
  }
  return i == a.size() && j == b.size();
}

bool uriEquals(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) return false;
  switch (a.scheme) {
    case UriScheme::kOther:
      return detail::iequals(a.schemeText, b.schemeText) &&
             escapedEquals(a.opaque, b.opaque, false);
    case UriScheme::kTel:
      return sameTel(a.user, b.user) && allParamsEqual(a.params, b.params);
    case UriScheme::kSip:
    case UriScheme::kSips:
      break;
  }
  if (a.user.empty() != b.user.empty() || !escapedEquals(a.user, b.user, false)) return false;
  if (!escapedEquals(a.password, b.password, false)) return false;
  if (!detail::iequals(a.host, b.host)) return false;
  if (a.hasPort != b.hasPort || a.port != b.port) return false;
  if (!sipParamsEqual(a.params, b.params)) return false;
  return headersSubset(a.headers, b.headers) && headersSubset(b.headers, a.headers);
}

void appendUnescaped(std::string_view text, std::string& out) {
  for (size_t i = 0; i < text.size();) {
    Unit u = nextUnit(text, i);
    out.push_back(static_cast<char>(u.octet));
  }
}

void appendUnquoted(std::string_view contents, std::string& out) {
  for (size_t i = 0; i < contents.size(); ++i) {
    if (contents[i] == '\\' && i + 1 < contents.size()) ++i;
    out.push_back(contents[i]);
  }
}

// ---------------------------------------------------------------------------------------------
// name-addr

namespace detail {

namespace {
bool isGenValueChar(char c) { return is(c, kToken) || c == ':' || c == '[' || c == ']'; }
}  // namespace

bool parseHeaderParams(std::string_view text, size_t* pos, Params* params) {
  const size_t n = text.size();
  size_t i = *pos;
  size_t first = std::string_view::npos;
  size_t lastEnd = i;
  while (true) {
    size_t j = skipLws(text, i);
    if (j >= n || text[j] != ';') break;
    if (first == std::string_view::npos) first = j;
    j = skipLws(text, j + 1);
    size_t nameEnd = scanClass(text, j, kToken);
    if (nameEnd == j) return false;
    i = nameEnd;
    size_t k = skipLws(text, nameEnd);
    if (k < n && text[k] == '=') {
      k = skipLws(text, k + 1);
      size_t e = k;
      if (k < n && text[k] == '"') {
        e = skipQuoted(text, k);
        if (e == std::string_view::npos) return false;
      } else {
        while (e < n && isGenValueChar(text[e])) ++e;
        if (e == k) return false;
      }
      i = e;
    }
    lastEnd = i;
  }
  *params =
      first == std::string_view::npos ? Params() : Params(text.substr(first, lastEnd - first));
  *pos = lastEnd;
  return true;
}

bool parseNameAddrAt(std::string_view text, size_t* pos, NameAddr* out) {
  const size_t n = text.size();
  uint16_t line = out->line;
  *out = NameAddr{};
  out->line = line;
  size_t i = skipLws(text, *pos);
  const size_t start = i;
  if (i >= n) return false;
  bool angle = false;
  if (text[i] == '"') {
    size_t e = skipQuoted(text, i);
    if (e == std::string_view::npos) return false;
    out->displayName = text.substr(i + 1, e - i - 2);
    out->quotedDisplayName = true;
    i = skipLws(text, e);
    if (i >= n || text[i] != '<') return false;
    angle = true;
  } else if (text[i] == '<') {
    angle = true;
  } else {
    // Either an unquoted display name (tokens separated by LWS) before '<', or an addr-spec.
    // Bytes >= 0x80 are let through: UTF-8 display names without quotes are common in practice.
    size_t j = i;
    while (j < n && (is(text[j], kToken | kLws) || static_cast<unsigned char>(text[j]) >= 0x80)) {
      ++j;
    }
    if (j < n && text[j] == '<') {
      out->displayName = trimLws(text.substr(i, j - i));
      i = j;
      angle = true;
    }
  }
  size_t uriEnd;
  if (angle) {
    size_t close = text.find('>', i + 1);
    if (close == std::string_view::npos) return false;
    if (!parseUri(text.substr(i + 1, close - i - 1), &out->uri)) return false;
    out->angleBrackets = true;
    i = close + 1;
    uriEnd = i;
  } else {
    size_t e = i;
    while (e < n && text[e] != ';' && text[e] != ',' && !isLws(text[e])) ++e;
    std::string_view u = text.substr(i, e - i);
    // Without angle brackets a URI cannot carry headers (RFC 3261 §20; RFC 4475 regbadct).
    if (u.find('?') != std::string_view::npos) return false;
    if (!parseUri(u, &out->uri)) return false;
    i = e;
    uriEnd = e;
  }
  if (!parseHeaderParams(text, &i, &out->params)) return false;
  size_t end = out->params.text().empty() ? uriEnd : i;
  out->text = text.substr(start, end - start);
  *pos = skipLws(text, i);
  return true;
}

}  // namespace detail

bool parseNameAddr(std::string_view text, NameAddr* out) {
  size_t pos = 0;
  if (!detail::parseNameAddrAt(text, &pos, out)) return false;
  return pos == text.size();
}

}  // namespace tandem::sip
