// ControlServer routing: /rpc, /RPC, /metrics, /health, 404 and 405, the built-in methods and
// metrics, asynchronous methods, and promtool's verdict on a full /metrics answer.
#include "control/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>

#include "control/promtool_testing.h"
#include "core/clock.h"

namespace tandem::control {
namespace {

using nlohmann::json;

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ControlOptions options;
    options.listen = *SocketAddress::parse("127.0.0.1:0");
    options.version = "0.1.0";
    auto s = ControlServer::start(loop_, options);
    ASSERT_TRUE(s) << s.message();
    server_ = std::move(*s);
  }

  HttpResponse request(std::string method, std::string path, std::string body = "") {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.target = r.path;
    r.body = std::move(body);
    return server_->handle(r);
  }

  static const std::string* header(const HttpResponse& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return &v;
    }
    return nullptr;
  }

  ManualClock clock_{5'000'000};
  EventLoop loop_{clock_};
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlServerTest, ListensOnARealPort) { EXPECT_NE(server_->address().port(), 0); }

TEST_F(ControlServerTest, RpcAnswersJson) {
  HttpResponse r = request("POST", "/rpc", R"({"jsonrpc":"2.0","method":"core.version","id":1})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "application/json");
  EXPECT_EQ(r.body, R"({"id":1,"jsonrpc":"2.0","result":"0.1.0"})");
}

TEST_F(ControlServerTest, UppercaseRpcPathIsKamailiosAndWorksToo) {
  HttpResponse r = request("POST", "/RPC", R"({"jsonrpc":"2.0","method":"core.version","id":1})");
  EXPECT_EQ(r.status, 200);
}

TEST_F(ControlServerTest, RpcNotificationGets204) {
  HttpResponse r = request("POST", "/rpc", R"({"jsonrpc":"2.0","method":"core.version"})");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
}

TEST_F(ControlServerTest, GetOnRpcIs405WithAllow) {
  HttpResponse r = request("GET", "/rpc");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "method not allowed; use POST\n");
  ASSERT_NE(header(r, "Allow"), nullptr);
  EXPECT_EQ(*header(r, "Allow"), "POST");
}

TEST_F(ControlServerTest, PostOnMetricsIs405WithAllow) {
  HttpResponse r = request("POST", "/metrics");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(*header(r, "Allow"), "GET, HEAD");
}

TEST_F(ControlServerTest, UnknownPathIs404) {
  HttpResponse r = request("GET", "/status");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "not found; try POST /rpc, GET /metrics or GET /health\n");
}

TEST_F(ControlServerTest, CoreUptimeCountsFromStartOnTheLoopClock) {
  clock_.advance(42'500);
  HttpResponse r = request("POST", "/rpc", R"({"jsonrpc":"2.0","method":"core.uptime","id":1})");
  json result = json::parse(r.body)["result"];
  EXPECT_EQ(result["uptime"], 42);
  EXPECT_TRUE(result["up_since"].get<std::string>().ends_with("Z"));
  EXPECT_EQ(result["now"].get<std::string>().size(), 20u);  // 2024-01-02T03:04:05Z
}

TEST_F(ControlServerTest, ListMethodsHasTheBuiltins) {
  server_->rpc().add("dispatcher.list", "dispatcher.list: sets and destinations",
                     [](const json&) -> Result<json> { return json::object(); });
  HttpResponse r =
      request("POST", "/rpc", R"({"jsonrpc":"2.0","method":"system.listMethods","id":1})");
  EXPECT_EQ(r.body,
            R"({"id":1,"jsonrpc":"2.0","result":["core.uptime","core.version","dispatcher.list",)"
            R"("system.listMethods","system.methodHelp"]})");
}

TEST_F(ControlServerTest, HealthIs200WhenEveryCheckPasses) {
  server_->addHealthCheck([] { return Status::ok(); });
  HttpResponse r = request("GET", "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "OK\n");
  EXPECT_EQ(r.contentType, "text/plain; charset=utf-8");
}

TEST_F(ControlServerTest, HealthIs200WithNoChecks) {
  EXPECT_EQ(request("GET", "/health").status, 200);
}

TEST_F(ControlServerTest, HealthIs503WithEveryFailingReason) {
  server_->addHealthCheck([] { return Status::error("no active destination in set 1"); });
  server_->addHealthCheck([] { return Status::ok(); });
  server_->addHealthCheck([] { return Status::error("shutting down"); });
  HttpResponse r = request("GET", "/health");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "no active destination in set 1\nshutting down\n");
}

TEST_F(ControlServerTest, MetricsHaveTheExpositionContentTypeAndBuiltins) {
  HttpResponse r = request("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(
      r.body.starts_with("# HELP tandem_build_info Version of the running daemon; the "
                         "value is always 1\n# TYPE tandem_build_info gauge\n"
                         "tandem_build_info{version=\"0.1.0\"} 1\n"))
      << r.body;
  EXPECT_NE(r.body.find("tandem_control_http_requests_total{path=\"/metrics\"} 1\n"),
            std::string::npos)
      << r.body;
}

TEST_F(ControlServerTest, MetricsHooksAreMergedByFamily) {
  server_->addMetrics([](PromWriter& w) {
    w.counter("tandem_sip_replies_total", "Replies sent, by code", {{"code", "200"}}, 5);
  });
  server_->addMetrics([](PromWriter& w) {
    w.gauge("tandem_dialogs", "Dialogs", 2);
    w.counter("tandem_sip_replies_total", "Replies sent, by code", {{"code", "503"}}, 1);
  });
  std::string text = server_->metricsText();
  EXPECT_NE(text.find("# TYPE tandem_sip_replies_total counter\n"
                      "tandem_sip_replies_total{code=\"200\"} 5\n"
                      "tandem_sip_replies_total{code=\"503\"} 1\n"
                      "# HELP tandem_dialogs Dialogs\n"),
            std::string::npos)
      << text;
}

TEST_F(ControlServerTest, MetricsPassPromtool) {
  if (!testing::havePromtool()) GTEST_SKIP() << testing::kNoPromtool;
  server_->addMetrics([](PromWriter& w) {
    w.gauge("tandem_dispatcher_destination_up", "1 when the destination takes new calls",
            {{"set", "1"}, {"uri", "sip:10.0.1.30:5060"}}, 1);
    w.counter("tandem_sip_drops_total", "Dropped messages, by reason",
              {{"reason", "parse \"error\""}}, 3);
  });
  request("GET", "/health");
  auto [status, out] = testing::promtoolCheck(server_->metricsText());
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "");
}

// ---------------------------------------------------------------- asynchronous methods

TEST_F(ControlServerTest, AsyncMethodIsAnsweredWhenItReplies) {
  RpcRegistry::Reply held;
  server_->rpc().addAsync(
      "store.thing", "store.thing: answers later",
      [&held](const json&, RpcRegistry::Reply reply) { held = std::move(reply); });
  HttpRequest r;
  r.method = "POST";
  r.path = r.target = "/rpc";
  r.body = R"({"jsonrpc":"2.0","method":"store.thing","id":1})";
  std::optional<HttpResponse> got;
  server_->handleAsync(r, [&got](HttpResponse response) { got = std::move(response); });
  EXPECT_FALSE(got);
  ASSERT_TRUE(held);
  held(json{{"rows", 2}});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->contentType, "application/json");
  EXPECT_EQ(got->body, R"({"id":1,"jsonrpc":"2.0","result":{"rows":2}})");
}

TEST_F(ControlServerTest, AsyncNotificationGets204OnceItReplied) {
  RpcRegistry::Reply held;
  server_->rpc().addAsync(
      "store.thing", "store.thing: answers later",
      [&held](const json&, RpcRegistry::Reply reply) { held = std::move(reply); });
  HttpRequest r;
  r.method = "POST";
  r.path = r.target = "/rpc";
  r.body = R"({"jsonrpc":"2.0","method":"store.thing"})";
  std::optional<HttpResponse> got;
  server_->handleAsync(r, [&got](HttpResponse response) { got = std::move(response); });
  EXPECT_FALSE(got);
  held(json(true));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 204);
}

TEST_F(ControlServerTest, HandleAsyncRoutesOtherPathsAtOnce) {
  HttpRequest r;
  r.method = "GET";
  r.path = r.target = "/rpc";
  std::optional<HttpResponse> got;
  server_->handleAsync(r, [&got](HttpResponse response) { got = std::move(response); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 405);
}

// End to end over a socket: the HTTP answer leaves when the method replies.
TEST_F(ControlServerTest, AsyncMethodOverHttp) {
  RpcRegistry::Reply held;
  server_->rpc().addAsync(
      "store.thing", "store.thing: answers later",
      [&held](const json&, RpcRegistry::Reply reply) { held = std::move(reply); });
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(fd, server_->address().sockaddr(), server_->address().length()), 0);
  std::string body = R"({"jsonrpc":"2.0","method":"store.thing","id":7})";
  std::string request =
      "POST /rpc HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  for (int i = 0; i < 100 && !held; ++i) loop_.runOnce(5);
  ASSERT_TRUE(held);
  held(json("ok"));
  std::string got;
  for (int i = 0; i < 100 && got.find("\"ok\"") == std::string::npos; ++i) {
    loop_.runOnce(5);
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(got.ends_with(R"({"id":7,"jsonrpc":"2.0","result":"ok"})")) << got;
}

}  // namespace
}  // namespace tandem::control
