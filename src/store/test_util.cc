// Test helpers for src/store (see test_util.h).
#include "store/test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace tandem::store::test {

std::string pgBaseUrl() {
  const char* url = std::getenv(kPgUrlEnv);
  return url ? url : "";
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tandem-store-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string backendName(Backend b) {
  switch (b) {
    case Backend::kSqliteMemory:
      return "SqliteMemory";
    case Backend::kSqliteFile:
      return "SqliteFile";
    case Backend::kPostgres:
      return "Postgres";
  }
  return "?";
}

namespace {

std::string withOption(const std::string& url, const std::string& option) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + option;
}

std::string randomName() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(getpid()));
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s = "tandem_t_";
  for (int i = 0; i < 12; ++i) s += kChars[rng() % 36];
  return s;
}

}  // namespace

TestDb::TestDb(Backend backend) : backend_(backend) {
  switch (backend) {
    case Backend::kSqliteMemory:
      url_ = "sqlite::memory:";
      break;
    case Backend::kSqliteFile:
      dir_ = std::make_unique<TempDir>();
      url_ = "sqlite://" + dir_->file("tandem.db");
      break;
    case Backend::kPostgres: {
      std::string base = pgBaseUrl();
      if (base.empty()) {
        available_ = false;
        skipReason_ = kPgSkipMessage;
        return;
      }
      schema_ = randomName();
      auto admin = openPgConn(base);
      SqlOutcome out = admin->script("CREATE SCHEMA " + schema_);
      if (!out.ok()) {
        available_ = false;
        skipReason_ = "cannot create a schema on " + redactUrl(base) + ": " + out.message;
        return;
      }
      url_ = withOption(base, "options=-csearch_path%3D" + schema_);
      break;
    }
  }
}

TestDb::~TestDb() {
  if (backend_ == Backend::kPostgres && available_) {
    auto admin = openPgConn(pgBaseUrl());
    admin->script("DROP SCHEMA " + schema_ + " CASCADE");
  }
}

std::unique_ptr<SqlConn> TestDb::connect() const {
  auto parsed = parseStoreUrl(url_);
  if (parsed->kind == StoreUrl::Kind::kPostgres) return openPgConn(parsed->conninfo);
  return std::move(openSqliteConn(parsed->path).value());
}

std::unique_ptr<Store> TestDb::open() const { return std::move(openStore(url_).value()); }

std::unique_ptr<Store> TestDb::openFlaky(std::shared_ptr<std::atomic<bool>> down) const {
  return makeSqlStore(std::make_unique<FlakyConn>(connect(), std::move(down)), url_);
}

std::unique_ptr<Store> TestDb::openVia(const std::string& hosts, const std::string& option) const {
  size_t start = url_.find("://") + 3;
  size_t end = url_.find('/', start);
  size_t at = url_.rfind('@', end);
  size_t hostStart = (at != std::string::npos && at > start) ? at + 1 : start;
  std::string url = url_.substr(0, hostStart) + hosts + url_.substr(end);
  if (!option.empty()) url = withOption(url, option);
  // Fail fast while the proxy refuses: the test waits for seconds, not for libpq's defaults.
  url = withOption(url, "connect_timeout=2");
  return std::move(openStore(url).value());
}

SqlOutcome FlakyConn::query(std::string_view sql, std::span<const SqlValue> params) {
  if (*down_) {
    ++refused_;
    SqlOutcome out;
    out.error = SqlError::kUnavailable;
    out.message = "test outage";
    return out;
  }
  return inner_->query(sql, params);
}

SqlOutcome FlakyConn::script(std::string_view sql) {
  if (*down_) {
    SqlOutcome out;
    out.error = SqlError::kUnavailable;
    out.message = "test outage";
    return out;
  }
  return inner_->script(sql);
}

// ---- TcpProxy ----

namespace {

// A listening socket on 127.0.0.1:port (0 = any free port).
int listenOn(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TcpProxy::TcpProxy(std::string targetHost, int targetPort)
    : host_(std::move(targetHost)), targetPort_(targetPort) {
  listenFd_ = listenOn(0);
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

TcpProxy::~TcpProxy() {
  setDown(true);
  stop_ = true;
  acceptor_.join();
  for (auto& t : threads_) t.join();
}

void TcpProxy::setDown(bool down) {
  std::lock_guard lock(mu_);
  down_ = down;
  if (down) {
    // Like a stopped server: connections drop, new ones are refused.
    if (listenFd_ >= 0) close(listenFd_);
    listenFd_ = -1;
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  } else if (listenFd_ < 0) {
    listenFd_ = listenOn(port_);
  }
}

void TcpProxy::acceptLoop() {
  while (!stop_) {
    int fd;
    {
      std::lock_guard lock(mu_);
      fd = listenFd_;
      if (fd >= 0) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 0) > 0) {
          int client = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
          if (client >= 0) threads_.emplace_back([this, client] { pump(client); });
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void TcpProxy::pump(int client) {
  int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(targetPort_));
  inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(server);
    close(client);
    return;
  }
  {
    std::lock_guard lock(mu_);
    fds_.push_back(client);
    fds_.push_back(server);
  }
  char buf[16384];
  pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  bool open = true;
  while (open && !down_ && !stop_) {
    if (poll(p, 2, 50) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if (p[i].revents == 0) continue;
      ssize_t n = read(p[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        open = false;
        break;
      }
      int to = p[1 - i].fd;
      for (ssize_t off = 0; off < n;) {
        ssize_t w = send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
        if (w <= 0) {
          open = false;
          break;
        }
        off += w;
      }
    }
  }
  std::lock_guard lock(mu_);
  std::erase(fds_, client);
  std::erase(fds_, server);
  shutdown(client, SHUT_RDWR);
  shutdown(server, SHUT_RDWR);
  close(client);
  close(server);
}

bool pgHostPort(const std::string& url, std::string& host, int& port) {
  size_t start = url.find("://");
  if (start == std::string::npos) return false;
  start += 3;
  size_t end = url.find_first_of("/?", start);
  if (end == std::string::npos) end = url.size();
  size_t at = url.rfind('@', end);
  if (at != std::string::npos && at >= start) start = at + 1;
  std::string hp = url.substr(start, end - start);
  if (hp.find(',') != std::string::npos) return false;
  size_t colon = hp.rfind(':');
  host = hp.substr(0, colon);
  port = colon == std::string::npos ? 5432 : std::atoi(hp.c_str() + colon + 1);
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  return true;
}

// ---- samples ----

Subscriber sampleSubscriber(const std::string& user, const std::string& domain) {
  Subscriber s;
  s.username = user;
  s.domain = domain;
  s.password = "secret-" + user;
  computeHa1(s);
  return s;
}

Location sampleLocation(const std::string& ruid, const std::string& user,
                        const std::string& domain) {
  Location l;
  l.ruid = ruid;
  l.username = user;
  l.domain = domain;
  l.contact = "sip:" + user + "@192.0.2.10:5060;transport=udp";
  l.received = "sip:198.51.100.7:40000";
  l.path = "<sip:edge1.example.net;lr>";
  l.expires = 2000000000;
  l.q = 0.5;
  l.callid = "call-" + ruid;
  l.cseq = 42;
  l.lastModified = 1700000000;
  l.flags = 1;
  l.cflags = 2;
  l.userAgent = "baresip 3.0";
  l.socket = "udp:10.0.0.1:5060";
  l.methods = 8191;
  l.instance = "<urn:uuid:00000000-0000-0000-0000-000000000001>";
  l.regId = 1;
  l.serverId = 7;
  l.keepalive = 1;
  return l;
}

Cdr sampleCdr(const std::string& uuid) {
  Cdr c;
  c.uuid = uuid;
  c.callid = "cid-" + uuid;
  c.fromTag = "ft";
  c.toTag = "tt";
  c.srcUser = "alice";
  c.srcDomain = "example.com";
  c.srcIp = "192.0.2.1";
  c.dstUser = "+442071234567";
  c.dstDomain = "example.com";
  c.destination = "sip:fs1.internal:5080";
  c.setid = 1;
  c.startTime = 1700000000000;
  c.answerTime = 1700000002000;
  c.endTime = 1700000062500;
  c.duration = 62.5;
  c.billsec = 60.5;
  c.sipCode = 200;
  c.sipReason = "OK";
  c.disposition = "ANSWERED";
  return c;
}

}  // namespace tandem::store::test
