// HTTP/1.1 request parsing (RFC 9112 §2-§6, strict where leniency invites request smuggling)
// and response serialization.
#include "control/http.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/text.h"

namespace tandem::control {

namespace {

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

// Calls fn for each comma-separated, trimmed element of a header list value.
template <typename Fn>
void forEachListElement(std::string_view value, Fn fn) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    fn(trimBlanks(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (equalsIgnoreCase(n, name)) return &v;
  }
  return nullptr;
}

HttpResponse HttpResponse::text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string_view statusReason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string serializeResponse(const HttpResponse& response, bool headOnly, bool close) {
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\n", response.status, statusReason(response.status));
  // 1xx and 204 carry no body and, per RFC 9110 §8.6, no Content-Length.
  bool bodyless = response.status < 200 || response.status == 204;
  if (!bodyless) {
    out += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", response.contentType,
                       response.body.size());
  }
  for (const auto& [name, value] : response.headers) out += fmt::format("{}: {}\r\n", name, value);
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!headOnly && !bodyless) out += response.body;
  return out;
}

void RequestParser::reset() {
  request_ = HttpRequest{};
  started_ = false;
  leading_ = 0;
  scanned_ = 0;
  lineStart_ = 0;
  headEnd_ = 0;
  contentLength_ = 0;
  consumed_ = 0;
  errorStatus_ = 0;
  errorText_.clear();
}

RequestParser::State RequestParser::fail(int status, std::string text) {
  errorStatus_ = status;
  errorText_ = std::move(text);
  return State::kError;
}

RequestParser::State RequestParser::parse(std::string_view buf) {
  if (errorStatus_ != 0) return State::kError;
  if (!buf.empty()) started_ = true;
  if (headEnd_ == 0) {
    // Find the blank line ending the head, resuming after what earlier calls scanned. Empty
    // lines before the request line are skipped (RFC 9112 §2.2).
    size_t limit = std::min(buf.size(), limits_.maxHeaderBytes);
    size_t i = scanned_;
    for (; i < limit; ++i) {
      if (buf[i] != '\n') continue;
      size_t len = i - lineStart_;
      bool empty = len == 0 || (len == 1 && buf[lineStart_] == '\r');
      if (empty && lineStart_ == leading_) {
        leading_ = i + 1;
      } else if (empty) {
        headEnd_ = i + 1;
        break;
      }
      lineStart_ = i + 1;
    }
    scanned_ = i;
    if (headEnd_ == 0) {
      if (buf.size() >= limits_.maxHeaderBytes) {
        return fail(431, fmt::format("header section exceeds {} bytes", limits_.maxHeaderBytes));
      }
      return State::kNeedMore;
    }
    if (State s = parseHead(buf.substr(leading_, headEnd_ - leading_)); s == State::kError) {
      return s;
    }
  }
  if (buf.size() - headEnd_ < contentLength_) return State::kNeedMore;
  request_.body.assign(buf.substr(headEnd_, contentLength_));
  consumed_ = headEnd_ + contentLength_;
  return State::kComplete;
}

RequestParser::State RequestParser::parseHead(std::string_view head) {
  if (head.find('\0') != std::string_view::npos) return fail(400, "NUL in header section");
  // Split into lines; the last one is the blank line.
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) return fail(400, "bare CR in header section");
    lines.push_back(line);
    head.remove_prefix(nl + 1);
  }
  if (!lines.empty()) lines.pop_back();  // the blank line
  if (lines.empty()) return fail(400, "malformed request line");

  // request-line = method SP request-target SP HTTP-version
  std::string_view rl = lines[0];
  size_t sp1 = rl.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : rl.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || rl.find(' ', sp2 + 1) != std::string_view::npos) {
    return fail(400, "malformed request line");
  }
  std::string_view method = rl.substr(0, sp1);
  std::string_view target = rl.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = rl.substr(sp2 + 1);
  if (!isToken(method)) return fail(400, "malformed request line");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return fail(400, "malformed HTTP version");
  }
  if (version[5] != '1') return fail(505, fmt::format("{} is not supported", version));
  request_.minorVersion = version[7] - '0';

  std::string_view path = target;
  if (path.starts_with("http://") || path.starts_with("https://")) {
    // absolute-form (RFC 9112 §3.2.2): keep only the path.
    path.remove_prefix(path.find("//") + 2);
    size_t slash = path.find('/');
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  if (path != "*" && (path.empty() || path.front() != '/')) {
    return fail(400, "malformed request target");
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return fail(400, "malformed request target");
    }
  }
  request_.method.assign(method);
  request_.target.assign(target);
  size_t q = path.find('?');
  request_.path.assign(path.substr(0, q));
  if (q != std::string_view::npos) request_.query.assign(path.substr(q + 1));

  bool haveLength = false;
  bool close = false;
  bool keepAlive = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') {
      return fail(400, "obsolete line folding is not supported");
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) {
      return fail(400, "malformed header field");
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = trimBlanks(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return fail(400, "invalid character in header field value");
      }
    }
    if (equalsIgnoreCase(name, "Content-Length")) {
      // One plain decimal; a list or a second, different value is how smuggling starts.
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return fail(400, "invalid Content-Length");
      }
      size_t n = 0;
      for (char c : value) n = n * 10 + static_cast<size_t>(c - '0');
      if (haveLength && n != contentLength_) return fail(400, "conflicting Content-Length headers");
      haveLength = true;
      contentLength_ = n;
    } else if (equalsIgnoreCase(name, "Transfer-Encoding")) {
      return fail(501, "Transfer-Encoding is not supported; send the body with Content-Length");
    } else if (equalsIgnoreCase(name, "Connection")) {
      forEachListElement(value, [&](std::string_view token) {
        if (equalsIgnoreCase(token, "close")) close = true;
        if (equalsIgnoreCase(token, "keep-alive")) keepAlive = true;
      });
    } else if (equalsIgnoreCase(name, "Expect")) {
      if (equalsIgnoreCase(value, "100-continue")) request_.expectContinue = true;
    }
    request_.headers.emplace_back(std::string(name), std::string(value));
  }
  if (contentLength_ > limits_.maxBodyBytes) {
    return fail(413, fmt::format("body of {} bytes exceeds the limit of {} bytes", contentLength_,
                                 limits_.maxBodyBytes));
  }
  request_.keepAlive = request_.minorVersion >= 1 ? !close : (keepAlive && !close);
  // 100 Continue exists only from HTTP/1.1 on (RFC 9110 §10.1.1).
  if (request_.minorVersion == 0) request_.expectContinue = false;
  return State::kComplete;
}

}  // namespace tandem::control
