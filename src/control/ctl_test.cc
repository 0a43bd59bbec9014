// `tandem ctl` end to end: the client against a ControlServer whose loop runs in a thread of the
// test; argument conversion, URLs, every failure message and exit code.
#include "control/ctl.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "control/client.h"
#include "control/server.h"

namespace tandem::control {
namespace {

using nlohmann::json;

// A ControlServer on 127.0.0.1:0 whose loop runs in its own thread until destruction. Methods
// are registered before the thread starts (the registry is not thread-safe).
class LiveServer {
 public:
  explicit LiveServer(const std::function<void(ControlServer&)>& setup) {
    ControlOptions options;
    options.listen = *SocketAddress::parse("127.0.0.1:0");
    options.version = "0.1.0";
    auto s = ControlServer::start(loop_, options);
    if (!s) throw std::runtime_error(s.message());
    server_ = std::move(*s);
    setup(*server_);
    thread_ = std::thread([this] {
      while (!done_.load()) loop_.runOnce(20);
    });
  }
  ~LiveServer() {
    done_.store(true);
    thread_.join();
  }
  std::string url(std::string_view path = "/rpc") const {
    return "http://" + server_->address().toString() + std::string(path);
  }

 private:
  EventLoop loop_;
  std::unique_ptr<ControlServer> server_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

void addTestMethods(ControlServer& s) {
  s.rpc().add("dispatcher.list", "dispatcher.list: sets and destinations",
              [](const json&) -> Result<json> {
                return json::parse(R"([{"uri":"sip:a","calls":3},{"uri":"sip:bb","calls":12}])");
              });
  s.rpc().add("echo", "echo ARGS...: the params back",
              [](const json& params) -> Result<json> { return params; });
  s.rpc().add("dispatcher.set_state", "dispatcher.set_state STATE SETID URI",
              [](const json& params) -> Result<json> {
                auto setid = Params(params).integer(1, "setid");
                if (!setid) return setid.status();
                return json(nullptr);
              });
}

struct CtlRun {
  int code;
  std::string out;
  std::string err;
};

CtlRun ctl(const std::string& url, std::string method, std::vector<std::string> args = {},
           bool asJson = false, double timeout = 5) {
  CtlOptions o;
  o.url = url;
  o.method = std::move(method);
  o.args = std::move(args);
  o.json = asJson;
  o.timeoutSeconds = timeout;
  std::ostringstream out;
  std::ostringstream err;
  int code = runCtl(o, out, err);
  return {code, out.str(), err.str()};
}

// A TCP port on 127.0.0.1 with nothing listening: bound, then closed.
uint16_t deadPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto addr = *SocketAddress::parse("127.0.0.1:0");
  if (::bind(fd, addr.sockaddr(), addr.length()) != 0) return 0;
  socklen_t len = sizeof(sockaddr_storage);
  getsockname(fd, addr.mutableSockaddr(), &len);
  addr.setLength(len);
  close(fd);
  return addr.port();
}

TEST(CtlArgs, PlainIntegersBecomeNumbers) {
  EXPECT_EQ(paramsFromArgs({"1", "-7", "007"}).dump(), "[1,-7,7]");
}

TEST(CtlArgs, StringPrefixForcesAString) {
  EXPECT_EQ(paramsFromArgs({"s:123", "s:", "s:s:x"}).dump(), R"(["123","","s:x"])");
}

TEST(CtlArgs, EverythingElseIsAString) {
  EXPECT_EQ(paramsFromArgs({"drain", "sip:10.0.0.1:5060", "1.5", "-", "12a", "1e3"}).dump(),
            R"(["drain","sip:10.0.0.1:5060","1.5","-","12a","1e3"])");
}

TEST(CtlArgs, IntegersTooLongForInt64StayStrings) {
  EXPECT_EQ(paramsFromArgs({"1234567890123456789012"}).dump(), R"(["1234567890123456789012"])");
}

TEST(CtlArgs, NoArgsIsAnEmptyArray) { EXPECT_EQ(paramsFromArgs({}).dump(), "[]"); }

TEST(CtlUrl, DefaultComesFromTheEnvironmentWhenSet) {
  unsetenv("TANDEM_CTL_URL");
  EXPECT_EQ(defaultCtlUrl(), "http://127.0.0.1:7060/rpc");
  setenv("TANDEM_CTL_URL", "http://10.0.0.5:7070/rpc", 1);
  EXPECT_EQ(defaultCtlUrl(), "http://10.0.0.5:7070/rpc");
  setenv("TANDEM_CTL_URL", "", 1);
  EXPECT_EQ(defaultCtlUrl(), "http://127.0.0.1:7060/rpc");
  unsetenv("TANDEM_CTL_URL");
}

TEST(CtlUrl, ParsesHostPortAndPath) {
  auto u = Url::parse("http://127.0.0.1:7060/RPC");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 7060);
  EXPECT_EQ(u->path, "/RPC");
}

TEST(CtlUrl, PathDefaultsToRpcAndSchemeIsOptional) {
  auto u = Url::parse("localhost:7060");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, 7060);
  EXPECT_EQ(u->path, "/rpc");
  EXPECT_EQ(Url::parse("http://h/")->path, "/rpc");
  EXPECT_EQ(Url::parse("http://h")->port, 80);
}

TEST(CtlUrl, BracketedIpv6) {
  auto u = Url::parse("http://[::1]:7060/rpc");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 7060);
}

TEST(CtlUrl, HttpsIsRefused) {
  auto u = Url::parse("https://h:1/rpc");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.message(),
            "https is not supported: the control endpoint speaks plain HTTP (https://h:1/rpc)");
}

TEST(CtlUrl, BadPortIsRefused) {
  EXPECT_EQ(Url::parse("http://h:99999/").message(), "bad port in URL: http://h:99999/");
  EXPECT_EQ(Url::parse("http://h:/").message(), "bad port in URL: http://h:/");
  EXPECT_EQ(Url::parse("http://:80/").message(), "no host in URL: http://:80/");
}

TEST(Ctl, PrintsAScalarResult) {
  LiveServer server(addTestMethods);
  CtlRun r = ctl(server.url(), "core.version");
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_EQ(r.out, "0.1.0\n");
  EXPECT_EQ(r.err, "");
}

TEST(Ctl, PrintsATable) {
  LiveServer server(addTestMethods);
  CtlRun r = ctl(server.url(), "dispatcher.list");
  EXPECT_EQ(r.code, kCtlOk);
  // Columns follow the server's key order: nlohmann::json objects, hence alphabetical.
  EXPECT_EQ(r.out,
            "calls  uri\n"
            "    3  sip:a\n"
            "   12  sip:bb\n");
}

TEST(Ctl, JsonFlagPrintsTheResultPretty) {
  LiveServer server(addTestMethods);
  CtlRun r = ctl(server.url(), "dispatcher.list", {}, true);
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_EQ(r.out,
            "[\n  {\n    \"calls\": 3,\n    \"uri\": \"sip:a\"\n  },\n  {\n    \"calls\": 12,\n"
            "    \"uri\": \"sip:bb\"\n  }\n]\n");
}

TEST(Ctl, ArgumentsArriveTyped) {
  LiveServer server(addTestMethods);
  CtlRun r = ctl(server.url(), "echo", {"drain", "1", "s:2", "sip:a"}, true);
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_EQ(r.out, "[\n  \"drain\",\n  1,\n  \"2\",\n  \"sip:a\"\n]\n");
}

TEST(Ctl, NullResultPrintsNothing) {
  LiveServer server(addTestMethods);
  CtlRun r = ctl(server.url(), "dispatcher.set_state", {"d", "1", "all"});
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_EQ(r.out, "");
}

TEST(Ctl, UnknownMethodPrintsTheErrorAndExits1) {
  LiveServer server(addTestMethods);
  CtlRun r = ctl(server.url(), "dispatcher.lst");
  EXPECT_EQ(r.code, kCtlFailed);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error -32601: Method not found: dispatcher.lst\n");
}

TEST(Ctl, InvalidParamsPrintsTheErrorAndExits1) {
  LiveServer server(addTestMethods);
  CtlRun r = ctl(server.url(), "dispatcher.set_state", {"d", "x", "all"});
  EXPECT_EQ(r.code, kCtlFailed);
  EXPECT_EQ(r.err, "error -32602: invalid params: setid must be an integer, got \"x\"\n");
}

TEST(Ctl, KamailioUppercasePathWorks) {
  LiveServer server(addTestMethods);
  EXPECT_EQ(ctl(server.url("/RPC"), "core.version").out, "0.1.0\n");
}

TEST(Ctl, WrongPathReportsTheHttpStatus) {
  LiveServer server(addTestMethods);
  CtlRun r = ctl(server.url("/nope"), "core.version");
  EXPECT_EQ(r.code, kCtlFailed);
  EXPECT_EQ(r.err, "error: " + server.url("/nope") +
                       " answered HTTP 404 Not Found: not found; try POST /rpc, GET /metrics or "
                       "GET /health\n");
}

TEST(Ctl, ConnectionRefusedNamesTheUrlAndExits2) {
  std::string url = "http://127.0.0.1:" + std::to_string(deadPort()) + "/rpc";
  CtlRun r = ctl(url, "core.uptime");
  EXPECT_EQ(r.code, kCtlCannotConnect);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error: cannot connect to " + url +
                       ": Connection refused (is the daemon running, with [control] listen at "
                       "that address?)\n");
}

TEST(Ctl, ServerThatNeverAnswersTimesOut) {
  // A listening socket nobody serves: the kernel completes the connect, no answer follows.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto addr = *SocketAddress::parse("127.0.0.1:0");
  ASSERT_EQ(::bind(fd, addr.sockaddr(), addr.length()), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(sockaddr_storage);
  getsockname(fd, addr.mutableSockaddr(), &len);
  addr.setLength(len);
  std::string url = "http://" + addr.toString() + "/rpc";
  CtlRun r = ctl(url, "core.uptime", {}, false, 0.2);
  close(fd);
  EXPECT_EQ(r.code, kCtlFailed);
  EXPECT_EQ(r.err, "error: timed out after 0.2 s waiting for " + url + "\n");
}

TEST(Ctl, BadUrlExits1) {
  CtlRun r = ctl("https://127.0.0.1:7060/rpc", "core.uptime");
  EXPECT_EQ(r.code, kCtlFailed);
  EXPECT_EQ(r.err,
            "error: https is not supported: the control endpoint speaks plain HTTP "
            "(https://127.0.0.1:7060/rpc)\n");
}

TEST(Ctl, NonPositiveTimeoutIsRefused) {
  CtlRun r = ctl("http://127.0.0.1:1/rpc", "core.uptime", {}, false, 0);
  EXPECT_EQ(r.code, kCtlFailed);
  EXPECT_EQ(r.err, "error: --timeout must be between 0 and 86400 seconds\n");
}

TEST(HttpClient, GetsMetricsAndHealth) {
  LiveServer server(
      [](ControlServer& s) { s.addHealthCheck([] { return Status::error("draining"); }); });
  auto url = Url::parse(server.url("/metrics"));
  HttpReply m = httpExchange(*url, "GET", "", "", 5000);
  ASSERT_EQ(m.outcome, HttpReply::Outcome::kOk) << m.error;
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.contentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("tandem_build_info{version=\"0.1.0\"} 1\n"), std::string::npos);
  HttpReply h = httpExchange(*Url::parse(server.url("/health")), "GET", "", "", 5000);
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(h.reason, "Service Unavailable");
  EXPECT_EQ(h.body, "draining\n");
}

}  // namespace
}  // namespace tandem::control
