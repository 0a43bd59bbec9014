// HttpServer over real loopback sockets, the loop driven from the test with runOnce and time
// from a ManualClock: keep-alive, pipelining, limits, timeouts, closing rules, deferred answers.
#include "control/http_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "core/clock.h"

namespace tandem::control {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpLimits limits = {}) {
    auto addr = SocketAddress::parse("127.0.0.1:0");
    ASSERT_TRUE(addr);
    auto s = HttpServer::start(loop_, *addr, limits, [this](const HttpRequest& r) {
      ++handled_;
      if (r.path == "/throw") throw std::runtime_error("boom");
      return HttpResponse::text(200, r.method + " " + r.path + " [" + r.body + "]\n");
    });
    ASSERT_TRUE(s) << s.message();
    server_ = std::move(*s);
  }

  // Requests to /later* are held until the test calls respond_; others answer at once.
  void startAsync(HttpLimits limits = {}) {
    auto addr = SocketAddress::parse("127.0.0.1:0");
    ASSERT_TRUE(addr);
    auto s = HttpServer::startAsync(
        loop_, *addr, limits, [this](const HttpRequest& r, HttpRespond respond) {
          ++handled_;
          std::string text = r.method + " " + r.path + " [" + r.body + "]\n";
          if (r.path.starts_with("/later")) {
            held_.push_back({std::move(text), std::move(respond)});
            if (r.path == "/later-throw") throw std::runtime_error("x");
            return;
          }
          respond(HttpResponse::text(200, text));
        });
    ASSERT_TRUE(s) << s.message();
    server_ = std::move(*s);
  }
  void respond(size_t i) { held_.at(i).respond(HttpResponse::text(200, held_.at(i).text)); }

  int connectClient() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(::connect(fd, server_->address().sockaddr(), server_->address().length()), 0);
    return fd;
  }

  static void sendAll(int fd, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Counts the complete responses at the start of text (bodies framed by Content-Length).
  static size_t completeResponses(const std::string& text) {
    size_t count = 0;
    size_t pos = 0;
    for (;;) {
      size_t end = text.find("\r\n\r\n", pos);
      if (end == std::string::npos) return count;
      std::string_view head(text.data() + pos, end - pos);
      size_t length = 0;
      if (size_t cl = head.find("Content-Length: "); cl != std::string_view::npos) {
        length = std::stoul(std::string(head.substr(cl + 16)));
      }
      if (text.size() < end + 4 + length) return count;
      pos = end + 4 + length;
      ++count;
    }
  }

  // Drives the loop until `responses` complete responses (or EOF) arrived on fd.
  std::string pump(int fd, size_t responses, bool* eof = nullptr) {
    std::string got;
    for (int i = 0; i < 400; ++i) {
      loop_.runOnce(5);
      char buf[65536];
      for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
          got.append(buf, static_cast<size_t>(n));
          continue;
        }
        if (n == 0) {
          if (eof) *eof = true;
          return got;
        }
        break;
      }
      if (eof == nullptr && completeResponses(got) >= responses) return got;
    }
    return got;
  }

  // A few loop rounds, for when nothing is expected back.
  void settle() {
    for (int i = 0; i < 5; ++i) loop_.runOnce(2);
  }
  static std::string drain(int fd) {
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
      got.append(buf, static_cast<size_t>(n));
    return got;
  }

  // Drives the loop until the server closed fd (true) or a while passed (false).
  bool pumpUntilClosed(int fd) {
    bool eof = false;
    pump(fd, 0, &eof);
    return eof;
  }

  void TearDown() override {
    for (int fd : fds_) close(fd);
  }
  int track(int fd) {
    fds_.push_back(fd);
    return fd;
  }

  ManualClock clock_{1'000'000};
  EventLoop loop_{clock_};
  std::unique_ptr<HttpServer> server_;
  int handled_ = 0;
  std::vector<int> fds_;
  struct Held {
    std::string text;
    HttpRespond respond;
  };
  std::vector<Held> held_;
};

TEST_F(HttpServerTest, PortZeroBindsARealPort) {
  start();
  EXPECT_NE(server_->address().port(), 0);
  EXPECT_EQ(server_->address().hostString(), "127.0.0.1");
}

TEST_F(HttpServerTest, BindFailureIsAnError) {
  start();
  auto again = HttpServer::start(loop_, server_->address(), {}, nullptr);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.message(), "control: cannot listen on " + server_->address().toString() +
                                 ": Address already in use");
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(pump(fd, 1),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n"
            "\r\nGET /one []\n");
  sendAll(fd, "POST /two HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(pump(fd, 1),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 15\r\n"
            "\r\nPOST /two [hi]\n");
  EXPECT_EQ(server_->connectionCount(), 1u);
  EXPECT_EQ(server_->stats().accepted, 1u);
  EXPECT_EQ(server_->stats().requests, 2u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  int fd = track(connectClient());
  sendAll(fd,
          "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyzGET /c "
          "HTTP/1.1\r\n\r\n");
  std::string got = pump(fd, 3);
  EXPECT_EQ(completeResponses(got), 3u);
  size_t a = got.find("GET /a []");
  size_t b = got.find("POST /b [xyz]");
  size_t c = got.find("GET /c []");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(c, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST_F(HttpServerTest, RequestSplitAcrossWritesIsAssembled) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "POST /rpc HTTP/1.1\r\nContent-Le");
  settle();
  EXPECT_EQ(drain(fd), "");
  sendAll(fd, "ngth: 4\r\n\r\nab");
  settle();
  EXPECT_EQ(drain(fd), "");
  sendAll(fd, "cd");
  EXPECT_NE(pump(fd, 1).find("POST /rpc [abcd]"), std::string::npos);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonouredAfterTheResponse) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "GET /a HTTP/1.1\r\nConnection: close\r\n\r\n");
  bool eof = false;
  std::string got = pump(fd, 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(got.find("GET /a []"), std::string::npos);
}

TEST_F(HttpServerTest, Http10ClosesByDefault) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "GET /a HTTP/1.0\r\n\r\n");
  bool eof = false;
  std::string got = pump(fd, 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_F(HttpServerTest, HalfClosedClientStillGetsItsResponse) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "GET /a HTTP/1.1\r\n\r\n");
  ::shutdown(fd, SHUT_WR);
  bool eof = false;
  std::string got = pump(fd, 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_NE(got.find("GET /a []"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedHeadersGet431AndTheConnectionCloses) {
  HttpLimits limits;
  limits.maxHeaderBytes = 1024;
  start(limits);
  int fd = track(connectClient());
  sendAll(fd, "GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n");
  bool eof = false;
  std::string got = pump(fd, 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(got,
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; "
            "charset=utf-8\r\nContent-Length: 34\r\nConnection: close\r\n\r\nheader section "
            "exceeds 1024 bytes\n");
  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(server_->stats().badRequests, 1u);
}

TEST_F(HttpServerTest, OversizedBodyGets413WithoutWaitingForIt) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "POST /rpc HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n");
  bool eof = false;
  std::string got = pump(fd, 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 413 Content Too Large\r\n")) << got;
  EXPECT_TRUE(got.ends_with("body of 2000000 bytes exceeds the limit of 1048576 bytes\n")) << got;
}

TEST_F(HttpServerTest, MalformedRequestGets400AndTheConnectionCloses) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "HELLO\r\n\r\n");
  bool eof = false;
  std::string got = pump(fd, 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request\r\n")) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\nmalformed request line\n")) << got;
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBody) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "POST /rpc HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  std::string interim;
  for (int i = 0; i < 100 && interim.empty(); ++i) interim = pump(fd, 1);
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  sendAll(fd, "ok");
  EXPECT_NE(pump(fd, 1).find("POST /rpc [ok]"), std::string::npos);
}

TEST_F(HttpServerTest, HeadGetsHeadersWithoutBody) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "HEAD /x HTTP/1.1\r\n\r\n");
  std::string got;
  for (int i = 0; i < 100 && got.empty(); ++i) got = pump(fd, 0);
  EXPECT_EQ(got,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\n"
            "\r\n");
}

TEST_F(HttpServerTest, ThrowingHandlerGets500AndTheServerLives) {
  start();
  int fd = track(connectClient());
  sendAll(fd, "GET /throw HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n");
  std::string got = pump(fd, 2);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 500 Internal Server Error\r\n")) << got;
  EXPECT_NE(got.find("GET /after []"), std::string::npos);
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  HttpLimits limits;
  limits.idleTimeoutMs = 5'000;
  start(limits);
  int fd = track(connectClient());
  sendAll(fd, "GET /a HTTP/1.1\r\n\r\n");
  pump(fd, 1);
  clock_.advance(4'000);
  loop_.runOnce(5);
  EXPECT_EQ(server_->connectionCount(), 1u);
  clock_.advance(1'100);
  EXPECT_TRUE(pumpUntilClosed(fd));
  EXPECT_EQ(server_->connectionCount(), 0u);
  EXPECT_EQ(server_->stats().timeouts, 1u);
}

TEST_F(HttpServerTest, SlowRequestGets408) {
  HttpLimits limits;
  limits.requestTimeoutMs = 2'000;
  start(limits);
  int fd = track(connectClient());
  sendAll(fd, "GET /a HTTP/1.1\r\nHost:");
  settle();
  clock_.advance(2'100);
  bool eof = false;
  std::string got = pump(fd, 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 408 Request Timeout\r\n")) << got;
  EXPECT_TRUE(got.ends_with("request not received in time\n")) << got;
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitAreClosed) {
  HttpLimits limits;
  limits.maxConnections = 1;
  start(limits);
  int first = track(connectClient());
  settle();
  int second = track(connectClient());
  EXPECT_TRUE(pumpUntilClosed(second));
  EXPECT_EQ(server_->stats().rejected, 1u);
  sendAll(first, "GET /still HTTP/1.1\r\n\r\n");
  EXPECT_NE(pump(first, 1).find("GET /still []"), std::string::npos);
}

TEST_F(HttpServerTest, ClientDisconnectFreesTheConnection) {
  start();
  int fd = connectClient();
  settle();
  EXPECT_EQ(server_->connectionCount(), 1u);
  close(fd);
  for (int i = 0; i < 50 && server_->connectionCount() > 0; ++i) loop_.runOnce(5);
  EXPECT_EQ(server_->connectionCount(), 0u);
}

// ---------------------------------------------------------------- deferred answers

TEST_F(HttpServerTest, DeferredAnswerIsSentWhenTheHandlerResponds) {
  startAsync();
  int fd = track(connectClient());
  sendAll(fd, "GET /later HTTP/1.1\r\n\r\n");
  settle();
  ASSERT_EQ(held_.size(), 1u);
  EXPECT_EQ(drain(fd), "");
  respond(0);
  EXPECT_EQ(pump(fd, 1),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n"
            "\r\nGET /later []\n");
  sendAll(fd, "GET /now HTTP/1.1\r\n\r\n");
  EXPECT_NE(pump(fd, 1).find("GET /now []"), std::string::npos);
  EXPECT_EQ(server_->connectionCount(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestWaitsBehindADeferredAnswer) {
  startAsync();
  int fd = track(connectClient());
  sendAll(fd, "GET /later HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  settle();
  EXPECT_EQ(handled_, 1);  // /b is not read until /later is answered
  EXPECT_EQ(drain(fd), "");
  respond(0);
  std::string got = pump(fd, 2);
  size_t a = got.find("GET /later []");
  size_t b = got.find("GET /b []");
  ASSERT_NE(a, std::string::npos) << got;
  ASSERT_NE(b, std::string::npos) << got;
  EXPECT_LT(a, b);
}

TEST_F(HttpServerTest, HalfClosedClientGetsItsDeferredAnswer) {
  startAsync();
  int fd = track(connectClient());
  sendAll(fd, "GET /later HTTP/1.1\r\n\r\n");
  ::shutdown(fd, SHUT_WR);
  settle();
  EXPECT_EQ(server_->connectionCount(), 1u);
  respond(0);
  bool eof = false;
  std::string got = pump(fd, 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_NE(got.find("GET /later []"), std::string::npos);
  EXPECT_EQ(server_->connectionCount(), 0u);
}

TEST_F(HttpServerTest, DeferredAnswerToAResetConnectionIsDropped) {
  startAsync();
  int fd = connectClient();
  sendAll(fd, "GET /later HTTP/1.1\r\n\r\n");
  settle();
  ASSERT_EQ(held_.size(), 1u);
  linger hard{1, 0};  // close with RST: the server sees the connection fail
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  close(fd);
  for (int i = 0; i < 50 && server_->connectionCount() > 0; ++i) loop_.runOnce(5);
  ASSERT_EQ(server_->connectionCount(), 0u);
  respond(0);
  EXPECT_EQ(server_->stats().droppedReplies, 1u);
}

TEST_F(HttpServerTest, DeferredAnswerAfterTheServerIsGoneIsDropped) {
  startAsync();
  int fd = track(connectClient());
  sendAll(fd, "GET /later HTTP/1.1\r\n\r\n");
  settle();
  ASSERT_EQ(held_.size(), 1u);
  server_.reset();
  respond(0);  // must not touch the freed server
  EXPECT_TRUE(pumpUntilClosed(fd));
}

TEST_F(HttpServerTest, SecondAnswerIsDropped) {
  startAsync();
  int fd = track(connectClient());
  sendAll(fd, "GET /later HTTP/1.1\r\n\r\n");
  settle();
  respond(0);
  respond(0);
  std::string got = pump(fd, 1);
  settle();
  got += drain(fd);
  EXPECT_EQ(completeResponses(got), 1u);
  EXPECT_EQ(server_->stats().droppedReplies, 1u);
}

TEST_F(HttpServerTest, UnansweredRequestGets503AfterTheIdleTimeout) {
  HttpLimits limits;
  limits.idleTimeoutMs = 5'000;
  startAsync(limits);
  int fd = track(connectClient());
  sendAll(fd, "GET /later HTTP/1.1\r\n\r\n");
  settle();
  clock_.advance(4'000);
  settle();
  EXPECT_EQ(drain(fd), "");
  clock_.advance(1'100);
  bool eof = false;
  std::string got = pump(fd, 1, &eof);
  EXPECT_TRUE(eof);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << got;
  EXPECT_TRUE(got.ends_with("no answer in time\n")) << got;
  respond(0);  // too late
  EXPECT_EQ(server_->stats().droppedReplies, 1u);
}

TEST_F(HttpServerTest, HandlerThrowingAfterDeferringGets500) {
  startAsync();
  int fd = track(connectClient());
  sendAll(fd, "GET /later-throw HTTP/1.1\r\n\r\n");
  std::string got = pump(fd, 1);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 500 Internal Server Error\r\n")) << got;
  respond(0);  // the 500 was the answer
  EXPECT_EQ(server_->stats().droppedReplies, 1u);
}

}  // namespace
}  // namespace tandem::control
