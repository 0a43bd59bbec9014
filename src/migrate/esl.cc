// The event-socket client: message framing, the auth handshake and api calls over a non-blocking
// socket driven by poll() against a deadline per step.
#include "migrate/esl.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "control/client.h"
#include "core/text.h"

namespace tandem::migrate {

namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int remainingMs(int64_t deadlineMs) {
  int64_t left = deadlineMs - nowMs();
  return left > 0 ? static_cast<int>(left) : 0;
}

std::string secondsText(int ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", ms / 1000.0);
  return buf;
}

// Untrusted text for an error message: quoted, control bytes escaped, cut at 80 bytes.
std::string quotedText(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 80; ++i) {
    char c = s[i];
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  if (s.size() > 80) out += "...";
  return out + "\"";
}

std::string firstLine(std::string_view s) {
  s = trimWhitespace(s);
  return std::string(s.substr(0, s.find('\n')));
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

std::string EslMessage::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (equalsIgnoreCase(k, name)) return v;
  }
  return "";
}

Result<std::optional<EslMessage>> EslParser::next() {
  using R = Result<std::optional<EslMessage>>;
  // Nothing separates messages, but a stray blank line between them is harmless.
  size_t lead = 0;
  while (lead < buf_.size() && buf_[lead] == '\n') ++lead;
  buf_.erase(0, lead);
  size_t headEnd = buf_.find("\n\n");
  if (headEnd == std::string::npos) {
    if (buf_.size() > kMaxMessage) return R::error("headers longer than 4 MiB");
    return std::optional<EslMessage>();
  }
  EslMessage m;
  std::string_view head(buf_.data(), headEnd);
  size_t contentLength = 0;
  while (!head.empty()) {
    size_t eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return R::error("header line without ':': " + quotedText(line));
    }
    std::string name(trimWhitespace(line.substr(0, colon)));
    std::string value(trimWhitespace(line.substr(colon + 1)));
    if (equalsIgnoreCase(name, "Content-Length")) {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), contentLength);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty() ||
          contentLength > kMaxMessage) {
        return R::error("bad Content-Length " + quotedText(value));
      }
    }
    m.headers.emplace_back(std::move(name), std::move(value));
  }
  const size_t bodyStart = headEnd + 2;
  if (buf_.size() - bodyStart < contentLength) return std::optional<EslMessage>();
  m.body = buf_.substr(bodyStart, contentLength);
  buf_.erase(0, bodyStart + contentLength);
  return std::optional<EslMessage>(std::move(m));
}

Result<std::pair<std::string, uint16_t>> parseEslAddress(std::string_view hostPort) {
  using R = Result<std::pair<std::string, uint16_t>>;
  auto bad = [&] {
    return R::error("invalid FreeSWITCH address " + quotedText(hostPort) + ": expected HOST:PORT");
  };
  std::string_view host = hostPort;
  std::string_view port;
  if (host.starts_with('[')) {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return bad();
    std::string_view rest = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad();
      port = rest.substr(1);
      if (port.empty()) return bad();
    }
  } else if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    // A bare IPv6 address has several colons: it needs brackets to carry a port.
    if (host.find(':', colon + 1) != std::string_view::npos) return bad();
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (port.empty()) return bad();
  }
  if (host.empty()) return bad();
  for (char c : host) {
    if (c == ' ' || c == '/' || c == '@' || static_cast<unsigned char>(c) < 0x21) return bad();
  }
  uint16_t p = kDefaultEslPort;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0) return bad();
  }
  return std::make_pair(std::string(host), p);
}

Result<uint32_t> parseCallsCount(std::string_view body) {
  std::string_view text = trimWhitespace(body);
  // FreeSWITCH answers a failed api command with its reason in the body, not in the headers.
  if (text.starts_with("-ERR") || text.starts_with("-USAGE")) {
    return Result<uint32_t>::error(firstLine(text));
  }
  constexpr std::string_view kSuffix = " total.";
  uint32_t n = 0;
  if (text.ends_with(kSuffix)) {
    std::string_view digits = text.substr(0, text.size() - kSuffix.size());
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty()) return n;
  }
  return Result<uint32_t>::error("unparsable answer to show calls count: " + quotedText(body));
}

Status EslClient::error(const std::string& what) const {
  return Status::error("FreeSWITCH " + name_ + ": " + what);
}

Result<std::unique_ptr<EslClient>> EslClient::connect(std::string_view hostPort,
                                                      const std::string& password, int timeoutMs) {
  using R = Result<std::unique_ptr<EslClient>>;
  const std::string name(hostPort);
  auto fail = [&](const std::string& what) { return R::error("FreeSWITCH " + name + ": " + what); };
  auto address = parseEslAddress(hostPort);
  if (!address) return address.status();
  // A line break would end the command early and let the rest be read as another one.
  if (password.find_first_of("\r\n") != std::string::npos) {
    return fail("the password must not contain a line break");
  }
  if (timeoutMs <= 0) timeoutMs = 5000;

  auto connected = control::connectTcp(address->first, address->second, timeoutMs);
  if (!connected) return fail("cannot connect: " + connected.message());
  Fd sock(*connected);

  std::unique_ptr<EslClient> client(new EslClient(sock.release(), name, timeoutMs));
  // The node speaks first: an auth request, or a rejection when its ACL refuses us.
  auto hello = client->receive("the auth request", nowMs() + timeoutMs);
  if (!hello) return hello.status();
  std::string type = hello->header("Content-Type");
  if (type == "text/rude-rejection")
    return fail("refused by its ACL (" + firstLine(hello->body) + ")");
  if (type != "auth/request") {
    return fail("unexpected answer: Content-Type " + quotedText(type) + ", expected auth/request");
  }
  const int64_t deadline = nowMs() + timeoutMs;
  if (Status s = client->send("auth " + password + "\n\n", deadline); !s) return s;
  auto reply = client->receive("the auth reply", deadline);
  if (!reply) return reply.status();
  std::string text = reply->header("Reply-Text");
  if (reply->header("Content-Type") != "command/reply" || text.empty()) {
    return fail("unexpected answer to auth: Content-Type " +
                quotedText(reply->header("Content-Type")) + ", Reply-Text " + quotedText(text));
  }
  if (text.starts_with("-ERR")) return fail("authentication refused (" + text + ")");
  if (!text.starts_with("+OK")) return fail("unexpected answer to auth: " + quotedText(text));
  return client;
}

EslClient::~EslClient() {
  // Best effort and never blocking: the node closes its side when it reads this or sees EOF.
  static constexpr std::string_view kExit = "exit\n\n";
  (void)::send(fd_, kExit.data(), kExit.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd_);
}

Status EslClient::send(std::string_view bytes, int64_t deadlineMs) {
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, remainingMs(deadlineMs)) == 0) {
        return error("timed out after " + secondsText(timeoutMs_) + " sending");
      }
      continue;
    }
    return error(std::string("sending failed: ") + std::strerror(errno));
  }
  return Status::ok();
}

Result<EslMessage> EslClient::receive(std::string_view awaiting, int64_t deadlineMs) {
  for (;;) {
    auto next = parser_.next();
    if (!next)
      return error("unreadable answer while waiting for " + std::string(awaiting) + ": " +
                   next.message());
    if (*next) {
      EslMessage m = std::move(**next);
      std::string type = m.header("Content-Type");
      // Events and log lines come only after `event`/`log`, which we never send; skip them all
      // the same rather than take one for an answer.
      if (type.starts_with("text/event-") || type == "log/data") continue;
      if (type == "text/disconnect-notice") {
        return error("disconnected while waiting for " + std::string(awaiting) + " (" +
                     firstLine(m.body) + ")");
      }
      return m;
    }
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, remainingMs(deadlineMs));
    if (ready == 0) {
      return error("timed out after " + secondsText(timeoutMs_) + " waiting for " +
                   std::string(awaiting));
    }
    if (ready < 0 && errno != EINTR) {
      return error(std::string("poll failed: ") + std::strerror(errno));
    }
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      parser_.feed(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n < 0) return error(std::string("reading failed: ") + std::strerror(errno));
    return error(parser_.empty()
                     ? "closed the connection while waiting for " + std::string(awaiting)
                     : "closed the connection in the middle of " + std::string(awaiting));
  }
}

Result<std::string> EslClient::api(std::string_view command) {
  const int64_t deadline = nowMs() + timeoutMs_;
  if (Status s = send("api " + std::string(command) + "\n\n", deadline); !s) return s;
  const std::string awaiting = "the answer to api " + std::string(command);
  auto m = receive(awaiting, deadline);
  if (!m) return m.status();
  if (std::string type = m->header("Content-Type"); type != "api/response") {
    return error("unexpected answer to api " + std::string(command) + ": Content-Type " +
                 quotedText(type) + ", expected api/response");
  }
  return std::move(m->body);
}

Result<uint32_t> freeswitchCallCount(const std::string& hostPort, const std::string& password,
                                     int timeoutMs) {
  auto client = EslClient::connect(hostPort, password, timeoutMs);
  if (!client) return client.status();
  auto body = (*client)->api("show calls count");
  if (!body) return body.status();
  auto n = parseCallsCount(*body);
  if (!n) return Result<uint32_t>::error("FreeSWITCH " + hostPort + ": " + n.message());
  return n;
}

}  // namespace tandem::migrate
