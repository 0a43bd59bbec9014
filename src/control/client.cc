// Blocking HTTP/1.1 client: getaddrinfo, non-blocking connect and poll() against one deadline,
// Content-Length, chunked or read-to-close bodies.
#include "control/client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "core/text.h"

namespace tandem::control {

namespace {

constexpr size_t kMaxResponseBytes = size_t{64} << 20;

using Clock = std::chrono::steady_clock;

int remainingMs(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string secondsText(int ms) { return fmt::format("{:g} s", ms / 1000.0); }

// Decodes a chunked body: complete once the last chunk is in; error set when malformed.
struct Dechunked {
  bool complete = false;
  std::string body;
  std::string error;
};

Dechunked dechunk(std::string_view in) {
  Dechunked d;
  for (;;) {
    size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return d;
    std::string_view sizeText = in.substr(0, eol);
    sizeText = sizeText.substr(0, sizeText.find(';'));  // chunk extensions
    size_t size = 0;
    if (trim(sizeText).empty()) {
      d.error = "malformed chunk size";
      return d;
    }
    for (char c : trim(sizeText)) {
      int v = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (v < 0 || size > kMaxResponseBytes) {
        d.error = "malformed chunk size";
        return d;
      }
      size = size * 16 + static_cast<size_t>(v);
    }
    in.remove_prefix(eol + 2);
    if (size == 0) {
      // Trailers, then the final blank line.
      d.complete = in.find("\r\n") != std::string_view::npos;
      return d;
    }
    if (in.size() < size + 2) return d;
    d.body.append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
}

}  // namespace

Result<Url> Url::parse(std::string_view text) {
  Url url;
  url.text = std::string(text);
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    return Result<Url>::error("https is not supported: the control endpoint speaks plain HTTP (" +
                              url.text + ")");
  }
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  if (rest.find("://") != std::string_view::npos) {
    return Result<Url>::error("not an http URL: " + url.text);
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.path = slash == std::string_view::npos ? "/rpc" : std::string(rest.substr(slash));
  if (url.path == "/") url.path = "/rpc";
  std::string_view portText;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Result<Url>::error("malformed URL: " + url.text);
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Result<Url>::error("malformed URL: " + url.text);
      portText = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) portText = authority.substr(colon + 1);
  }
  if (url.host.empty()) return Result<Url>::error("no host in URL: " + url.text);
  if (!portText.empty() || authority.ends_with(":")) {
    unsigned port = 0;
    if (portText.empty() || portText.size() > 5)
      return Result<Url>::error("bad port in URL: " + url.text);
    for (char c : portText) {
      if (c < '0' || c > '9') return Result<Url>::error("bad port in URL: " + url.text);
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return Result<Url>::error("bad port in URL: " + url.text);
    url.port = static_cast<uint16_t>(port);
  }
  return url;
}

Result<int> connectTcp(const std::string& host, uint16_t port, int timeoutMs) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string portText = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), portText.c_str(), &hints, &found); rc != 0) {
    return Result<int>::error(fmt::format("cannot resolve {}: {}", host, gai_strerror(rc)));
  }
  Fd sock;
  std::string connectError = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    Fd s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (s.get() < 0) {
      connectError = std::strerror(errno);
      continue;
    }
    int rc = ::connect(s.get(), ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{s.get(), POLLOUT, 0};
      if (::poll(&p, 1, remainingMs(deadline)) == 0) {
        connectError = "timed out after " + secondsText(timeoutMs);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      connectError = std::strerror(errno);
      continue;
    }
    sock = std::move(s);
    break;
  }
  freeaddrinfo(found);
  if (sock.get() < 0) return Result<int>::error(connectError);
  return sock.release();
}

HttpReply httpExchange(const Url& url, std::string_view method, std::string_view body,
                       std::string_view contentType, int timeoutMs) {
  HttpReply reply;
  auto fail = [&](HttpReply::Outcome outcome, std::string message) {
    reply.outcome = outcome;
    reply.error = std::move(message);
    return reply;
  };
  auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);

  auto connected = connectTcp(url.host, url.port, timeoutMs);
  if (!connected) {
    return fail(HttpReply::Outcome::kConnectFailed,
                fmt::format("cannot connect to {}: {}", url.text, connected.message()));
  }
  Fd sock(*connected);

  bool v6 = url.host.find(':') != std::string::npos;
  std::string request = fmt::format("{} {} HTTP/1.1\r\nHost: {}{}{}:{}\r\n", method, url.path,
                                    v6 ? "[" : "", url.host, v6 ? "]" : "", url.port);
  request += "User-Agent: tandem-ctl\r\nAccept: application/json, text/plain\r\n";
  if (!body.empty()) {
    request += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", contentType, body.size());
  }
  request += "Connection: close\r\n\r\n";
  request += body;

  auto timedOut = [&] {
    return fail(HttpReply::Outcome::kFailed,
                fmt::format("timed out after {} waiting for {}", secondsText(timeoutMs), url.text));
  };
  for (size_t off = 0; off < request.size();) {
    ssize_t n = ::send(sock.get(), request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      pollfd p{sock.get(), POLLOUT, 0};
      if (::poll(&p, 1, remainingMs(deadline)) == 0) return timedOut();
      continue;
    }
    return fail(HttpReply::Outcome::kFailed,
                fmt::format("sending to {} failed: {}", url.text, std::strerror(errno)));
  }

  // Read until the response is complete: by Content-Length, chunked framing, or close.
  std::string in;
  size_t headEnd = 0;
  std::optional<size_t> contentLength;
  bool chunked = false;
  bool eof = false;
  for (;;) {
    if (headEnd == 0) {
      size_t pos = in.find("\r\n\r\n");
      if (pos != std::string::npos) {
        std::string_view head(in.data(), pos);
        size_t eol = head.find("\r\n");
        std::string_view statusLine = head.substr(0, eol);
        if (!statusLine.starts_with("HTTP/1.") || statusLine.size() < 12) {
          return fail(HttpReply::Outcome::kFailed,
                      fmt::format("{} did not answer with HTTP", url.text));
        }
        int status = 0;
        for (char c : statusLine.substr(9, 3)) {
          if (c < '0' || c > '9') {
            return fail(HttpReply::Outcome::kFailed,
                        fmt::format("{} answered a malformed status line", url.text));
          }
          status = status * 10 + (c - '0');
        }
        if (status >= 100 && status < 200) {  // interim (100 Continue): the real one follows
          in.erase(0, pos + 4);
          continue;
        }
        reply.status = status;
        reply.reason = std::string(trim(statusLine.size() > 13 ? statusLine.substr(13) : ""));
        std::string_view headers = eol == std::string_view::npos ? "" : head.substr(eol + 2);
        while (!headers.empty()) {
          size_t e = headers.find("\r\n");
          std::string_view line = headers.substr(0, e);
          headers = e == std::string_view::npos ? "" : headers.substr(e + 2);
          size_t colon = line.find(':');
          if (colon == std::string_view::npos) continue;
          std::string_view name = line.substr(0, colon);
          std::string_view value = trim(line.substr(colon + 1));
          if (equalsIgnoreCase(name, "Content-Length")) {
            size_t n = 0;
            for (char c : value) {
              if (c < '0' || c > '9' || n > kMaxResponseBytes) {
                return fail(HttpReply::Outcome::kFailed,
                            fmt::format("{} answered a malformed Content-Length", url.text));
              }
              n = n * 10 + static_cast<size_t>(c - '0');
            }
            contentLength = n;
          } else if (equalsIgnoreCase(name, "Transfer-Encoding")) {
            chunked = value.find("chunked") != std::string_view::npos;
          } else if (equalsIgnoreCase(name, "Content-Type")) {
            reply.contentType = std::string(value);
          }
        }
        headEnd = pos + 4;
        if (method == "HEAD" || status == 204 || status == 304) contentLength = 0;
      }
    }
    if (headEnd != 0) {
      std::string_view rest = std::string_view(in).substr(headEnd);
      if (chunked) {
        Dechunked d = dechunk(rest);
        if (!d.error.empty()) {
          return fail(HttpReply::Outcome::kFailed, fmt::format("{}: {}", url.text, d.error));
        }
        if (d.complete) {
          reply.body = std::move(d.body);
          return reply;
        }
      } else if (contentLength && rest.size() >= *contentLength) {
        reply.body = std::string(rest.substr(0, *contentLength));
        return reply;
      } else if (!contentLength && eof) {
        reply.body = std::string(rest);
        return reply;
      }
    }
    if (eof) {
      return fail(HttpReply::Outcome::kFailed,
                  fmt::format("{} closed the connection before a complete response", url.text));
    }
    if (in.size() > kMaxResponseBytes) {
      return fail(HttpReply::Outcome::kFailed, fmt::format("response from {} too large", url.text));
    }
    char buf[16384];
    ssize_t n = ::recv(sock.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      eof = true;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      pollfd p{sock.get(), POLLIN, 0};
      if (::poll(&p, 1, remainingMs(deadline)) == 0) return timedOut();
    } else {
      return fail(HttpReply::Outcome::kFailed,
                  fmt::format("reading from {} failed: {}", url.text, std::strerror(errno)));
    }
  }
}

RpcReply rpcCall(const Url& url, std::string_view method, const nlohmann::json& params,
                 int timeoutMs) {
  RpcReply reply;
  nlohmann::json request{
      {"jsonrpc", "2.0"}, {"method", std::string(method)}, {"params", params}, {"id", 1}};
  HttpReply http = httpExchange(
      url, "POST", request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      "application/json", timeoutMs);
  if (http.outcome != HttpReply::Outcome::kOk) {
    reply.outcome = http.outcome == HttpReply::Outcome::kConnectFailed
                        ? RpcReply::Outcome::kConnectFailed
                        : RpcReply::Outcome::kFailed;
    reply.message = std::move(http.error);
    return reply;
  }
  auto body = nlohmann::ordered_json::parse(http.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const auto& error = body["error"];
    reply.outcome = RpcReply::Outcome::kRpcError;
    // Read leniently: a foreign server's odd error object still gets reported.
    if (error.contains("code") && error["code"].is_number_integer()) {
      reply.code = error["code"].get<int>();
    }
    if (error.contains("message") && error["message"].is_string()) {
      reply.message = error["message"].get<std::string>();
    }
    if (error.contains("data")) reply.data = error["data"];
    return reply;
  }
  if (http.status == 200 && body.is_object() && body.contains("result")) {
    reply.result = std::move(body["result"]);
    return reply;
  }
  reply.outcome = RpcReply::Outcome::kFailed;
  std::string detail(trim(std::string_view(http.body).substr(0, http.body.find('\n'))));
  if (detail.size() > 200) detail = detail.substr(0, 200) + "...";
  if (http.status != 200) {
    reply.message = fmt::format("{} answered HTTP {} {}{}{}", url.text, http.status, http.reason,
                                detail.empty() ? "" : ": ", detail);
  } else {
    reply.message = fmt::format("{} did not answer with a JSON-RPC response", url.text);
  }
  return reply;
}

}  // namespace tandem::control
