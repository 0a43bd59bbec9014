// The event-socket client against a fake FreeSWITCH that speaks mod_event_socket's wire format byte
// for byte (FreeSWITCH itself is not packaged for Debian 12): framing, auth accepted and refused,
// the calls count, reads cut anywhere, a node that closes mid-answer or stays silent; and the
// drain watch with both the edge's and FreeSWITCH's counts.
#include "migrate/esl.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "migrate/drain.h"
#include "migrate/migrate.h"
#include "migrate/test_util.h"

namespace tandem::migrate {
namespace {

// What FreeSWITCH sends, as mod_event_socket writes it.
constexpr std::string_view kAuthRequest = "Content-Type: auth/request\n\n";
constexpr std::string_view kAuthAccepted =
    "Content-Type: command/reply\nReply-Text: +OK accepted\n\n";
constexpr std::string_view kAuthInvalid =
    "Content-Type: command/reply\nReply-Text: -ERR invalid\n\n";
constexpr std::string_view kGoodbyeBody =
    "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n";

std::string apiResponse(std::string_view body) {
  return "Content-Type: api/response\nContent-Length: " + std::to_string(body.size()) + "\n\n" +
         std::string(body);
}

std::string disconnectNotice() {
  return "Content-Type: text/disconnect-notice\nContent-Length: " +
         std::to_string(kGoodbyeBody.size()) + "\n\n" + std::string(kGoodbyeBody);
}

// One accepted connection, seen from the fake node.
class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}
  // Sends bytes, each chunk of at most `chunk` bytes in its own write with a pause between, so
  // that the client's reads see them cut.
  void send(std::string_view bytes, size_t chunk = 0) {
    if (chunk == 0) chunk = bytes.size();
    for (size_t off = 0; off < bytes.size(); off += chunk) {
      std::string_view part = bytes.substr(off, chunk);
      (void)::send(fd_, part.data(), part.size(), MSG_NOSIGNAL);
      if (chunk < bytes.size()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  // The next command the client sent, up to and including its "\n\n"; "" when it closed first.
  std::string readCommand() {
    for (;;) {
      if (size_t end = buf_.find("\n\n"); end != std::string::npos) {
        std::string cmd = buf_.substr(0, end + 2);
        buf_.erase(0, end + 2);
        return cmd;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return "";
      char b[512];
      ssize_t n = ::recv(fd_, b, sizeof b, 0);
      if (n <= 0) return "";
      buf_.append(b, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buf_;
};

// A TCP listener on 127.0.0.1:<free port> that runs session for each connection on its own
// thread, one connection at a time, and records what the client sent.
class FakeEventSocket {
 public:
  using Session = std::function<void(Conn&, std::vector<std::string>&)>;
  explicit FakeEventSocket(Session session) : session_(std::move(session)) {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_, 8), 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeEventSocket() {
    quit_ = true;
    thread_.join();
    ::close(listen_);
  }
  std::string hostPort() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> commands() {
    std::lock_guard lock(mu_);
    return commands_;
  }
  int connections() const { return connections_; }

 private:
  void serve() {
    while (!quit_) {
      pollfd p{listen_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      Conn conn(fd);
      std::vector<std::string> got;
      session_(conn, got);
      {
        std::lock_guard lock(mu_);
        commands_.insert(commands_.end(), got.begin(), got.end());
      }
      ::close(fd);
    }
  }

  Session session_;
  int listen_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> quit_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> commands_;
};

// FreeSWITCH's inbound session: auth, then answers `api show calls count` with countBody, `exit`
// with its goodbye. chunk > 0 cuts every write into pieces of that size.
FakeEventSocket::Session freeswitch(std::string password, std::string countBody, size_t chunk = 0) {
  return [=](Conn& c, std::vector<std::string>& got) {
    c.send(kAuthRequest, chunk);
    std::string auth = c.readCommand();
    got.push_back(auth);
    if (auth != "auth " + password + "\n\n") {
      c.send(kAuthInvalid, chunk);
      c.send(disconnectNotice(), chunk);
      return;
    }
    c.send(kAuthAccepted, chunk);
    for (;;) {
      std::string cmd = c.readCommand();
      if (cmd.empty()) return;
      got.push_back(cmd);
      if (cmd == "api show calls count\n\n") {
        c.send(apiResponse(countBody), chunk);
      } else if (cmd == "exit\n\n") {
        c.send("Content-Type: command/reply\nReply-Text: +OK bye\n\n");
        c.send(disconnectNotice());
        return;
      } else {
        c.send("Content-Type: command/reply\nReply-Text: -ERR command not found\n\n");
      }
    }
  };
}

// Waits (briefly) for the fake to record n commands: the client's exit arrives after it returned.
std::vector<std::string> commandsAfter(FakeEventSocket& fake, size_t n) {
  for (int i = 0; i < 200 && fake.commands().size() < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return fake.commands();
}

TEST(EslParser, SplitsMessagesHoweverTheBytesArrive) {
  std::string stream = std::string(kAuthRequest) + apiResponse("\n3 total.\n") + disconnectNotice();
  for (size_t cut = 1; cut <= stream.size(); ++cut) {
    EslParser p;
    std::vector<EslMessage> got;
    for (size_t off = 0; off < stream.size(); off += cut) {
      p.feed(std::string_view(stream).substr(off, cut));
      for (;;) {
        auto m = p.next();
        ASSERT_TRUE(m) << m.message();
        if (!*m) break;
        got.push_back(std::move(**m));
      }
    }
    ASSERT_EQ(got.size(), 3u) << "cut " << cut;
    EXPECT_EQ(got[0].header("content-type"), "auth/request");
    EXPECT_EQ(got[0].body, "");
    EXPECT_EQ(got[1].header("Content-Type"), "api/response");
    EXPECT_EQ(got[1].body, "\n3 total.\n");
    EXPECT_EQ(got[2].body, kGoodbyeBody);
    EXPECT_TRUE(p.empty());
  }
}

TEST(EslParser, MalformedHeadersAreErrors) {
  EslParser p;
  p.feed("Content-Type auth/request\n\n");
  EXPECT_EQ(p.next().message(), "header line without ':': \"Content-Type auth/request\"");
  EslParser q;
  q.feed("Content-Type: api/response\nContent-Length: 12x\n\n");
  EXPECT_EQ(q.next().message(), "bad Content-Length \"12x\"");
  EslParser r;
  r.feed("Content-Length: 99999999999\n\n");
  EXPECT_EQ(r.next().message(), "bad Content-Length \"99999999999\"");
}

TEST(ParseCallsCount, ReadsShowCallsCount) {
  EXPECT_EQ(*parseCallsCount("\n0 total.\n"), 0u);
  EXPECT_EQ(*parseCallsCount("\n12 total.\n"), 12u);
  EXPECT_EQ(*parseCallsCount("\n\n4294967295 total.\n\n"), 4294967295u);
  EXPECT_EQ(parseCallsCount("\n3 calls.\n").message(),
            "unparsable answer to show calls count: \"\\n3 calls.\\n\"");
  EXPECT_EQ(parseCallsCount("\n-1 total.\n").message(),
            "unparsable answer to show calls count: \"\\n-1 total.\\n\"");
  EXPECT_EQ(parseCallsCount("\n4294967296 total.\n").message(),
            "unparsable answer to show calls count: \"\\n4294967296 total.\\n\"");
  EXPECT_EQ(parseCallsCount(" total.").message(),
            "unparsable answer to show calls count: \" total.\"");
  EXPECT_EQ(parseCallsCount("-ERR show Command not found!\n").message(),
            "-ERR show Command not found!");
}

TEST(ParseEslAddress, TakesHostPortOrHostAlone) {
  EXPECT_EQ(*parseEslAddress("10.0.0.1:8021"),
            std::make_pair(std::string("10.0.0.1"), uint16_t{8021}));
  EXPECT_EQ(*parseEslAddress("fs1.example.com"),
            std::make_pair(std::string("fs1.example.com"), kDefaultEslPort));
  EXPECT_EQ(*parseEslAddress("[::1]:8022"), std::make_pair(std::string("::1"), uint16_t{8022}));
  for (const char* bad : {"", ":8021", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:70000", "::1:8021",
                          "[::1", "[::1]x", "a b:1"}) {
    EXPECT_EQ(parseEslAddress(bad).message(),
              "invalid FreeSWITCH address \"" + std::string(bad) + "\": expected HOST:PORT")
        << bad;
  }
}

TEST(FreeswitchCallCount, AuthenticatesAsksAndSaysExit) {
  FakeEventSocket fake(freeswitch("ClueCon", "\n12 total.\n"));
  auto n = freeswitchCallCount(fake.hostPort(), "ClueCon", 2000);
  ASSERT_TRUE(n) << n.message();
  EXPECT_EQ(*n, 12u);
  EXPECT_EQ(commandsAfter(fake, 3),
            (std::vector<std::string>{"auth ClueCon\n\n", "api show calls count\n\n", "exit\n\n"}));
}

TEST(FreeswitchCallCount, ZeroCalls) {
  FakeEventSocket fake(freeswitch("s3cret", "\n0 total.\n"));
  auto n = freeswitchCallCount(fake.hostPort(), "s3cret", 2000);
  ASSERT_TRUE(n) << n.message();
  EXPECT_EQ(*n, 0u);
}

TEST(FreeswitchCallCount, AWrongPasswordIsRefused) {
  FakeEventSocket fake(freeswitch("s3cret", "\n0 total.\n"));
  EXPECT_EQ(freeswitchCallCount(fake.hostPort(), "ClueCon", 2000).message(),
            "FreeSWITCH " + fake.hostPort() + ": authentication refused (-ERR invalid)");
}

TEST(FreeswitchCallCount, EveryByteInItsOwnRead) {
  FakeEventSocket fake(freeswitch("ClueCon", "\n7 total.\n", 1));
  auto n = freeswitchCallCount(fake.hostPort(), "ClueCon", 5000);
  ASSERT_TRUE(n) << n.message();
  EXPECT_EQ(*n, 7u);
}

TEST(FreeswitchCallCount, AnUnparsableCountIsNamed) {
  FakeEventSocket fake(freeswitch("ClueCon", "-ERR show Command not found!\n"));
  EXPECT_EQ(freeswitchCallCount(fake.hostPort(), "ClueCon", 2000).message(),
            "FreeSWITCH " + fake.hostPort() + ": -ERR show Command not found!");
  FakeEventSocket odd(freeswitch("ClueCon", "many"));
  EXPECT_EQ(freeswitchCallCount(odd.hostPort(), "ClueCon", 2000).message(),
            "FreeSWITCH " + odd.hostPort() + ": unparsable answer to show calls count: \"many\"");
}

TEST(FreeswitchCallCount, ClosingMidAnswerIsAnError) {
  FakeEventSocket fake([](Conn& c, std::vector<std::string>& got) {
    c.send(kAuthRequest);
    got.push_back(c.readCommand());
    c.send(kAuthAccepted);
    got.push_back(c.readCommand());
    // Headers promise 10 bytes; 4 come, then the node goes away.
    c.send("Content-Type: api/response\nContent-Length: 10\n\n\n3 t");
  });
  EXPECT_EQ(freeswitchCallCount(fake.hostPort(), "ClueCon", 2000).message(),
            "FreeSWITCH " + fake.hostPort() +
                ": closed the connection in the middle of the answer to api show calls count");
}

TEST(FreeswitchCallCount, ClosingBeforeTheAuthRequestIsAnError) {
  FakeEventSocket fake([](Conn&, std::vector<std::string>&) {});
  EXPECT_EQ(freeswitchCallCount(fake.hostPort(), "ClueCon", 2000).message(),
            "FreeSWITCH " + fake.hostPort() +
                ": closed the connection while waiting for the auth request");
}

TEST(FreeswitchCallCount, AnAclRejectionIsNamed) {
  FakeEventSocket fake([](Conn& c, std::vector<std::string>&) {
    c.send("Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n");
  });
  EXPECT_EQ(freeswitchCallCount(fake.hostPort(), "ClueCon", 2000).message(),
            "FreeSWITCH " + fake.hostPort() + ": refused by its ACL (Access Denied, go away.)");
}

TEST(FreeswitchCallCount, ASilentNodeTimesOut) {
  std::atomic<bool> release{false};
  FakeEventSocket fake([&](Conn& c, std::vector<std::string>&) {
    c.send(kAuthRequest);
    c.readCommand();  // the auth, never answered
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(
      freeswitchCallCount(fake.hostPort(), "ClueCon", 150).message(),
      "FreeSWITCH " + fake.hostPort() + ": timed out after 0.15 s waiting for the auth reply");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  release = true;
}

TEST(FreeswitchCallCount, ConnectionRefused) {
  // A port that was free a moment ago and has no listener now.
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  std::string hostPort = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  EXPECT_EQ(freeswitchCallCount(hostPort, "ClueCon", 2000).message(),
            "FreeSWITCH " + hostPort + ": cannot connect: Connection refused");
}

TEST(FreeswitchCallCount, ALineBreakInThePasswordIsRefusedBeforeSending) {
  EXPECT_EQ(freeswitchCallCount("127.0.0.1:1", "a\nb", 100).message(),
            "FreeSWITCH 127.0.0.1:1: the password must not contain a line break");
}

TEST(EslClient, EventsBetweenAnswersAreSkipped) {
  FakeEventSocket fake([](Conn& c, std::vector<std::string>& got) {
    c.send(kAuthRequest);
    got.push_back(c.readCommand());
    c.send(kAuthAccepted);
    got.push_back(c.readCommand());
    const std::string event = "Event-Name: HEARTBEAT\n";
    c.send("Content-Type: text/event-plain\nContent-Length: " + std::to_string(event.size()) +
           "\n\n" + event);
    c.send(apiResponse("\n2 total.\n"));
    c.readCommand();
  });
  auto client = EslClient::connect(fake.hostPort(), "ClueCon", 2000);
  ASSERT_TRUE(client) << client.message();
  auto body = (*client)->api("show calls count");
  ASSERT_TRUE(body) << body.message();
  EXPECT_EQ(*body, "\n2 total.\n");
}

// The drain watch with the edge's count and FreeSWITCH's: the larger one rules.
class DrainWithFreeswitchTest : public ::testing::Test {
 protected:
  DrainWithFreeswitchTest() {
    EXPECT_TRUE(edge_.dispatcher().setState(1, kOld, dispatcher::State::kDrain));
    options_.node = kOld;
    options_.freeswitch = "10.0.1.30:8021";
    options_.timeout = std::chrono::milliseconds(30'000);
    deps_.nowMs = [this] { return now_; };
    deps_.sleep = [this](std::chrono::milliseconds d) {
      now_ += d.count();
      if (fsScript_.size() > 1) fsScript_.erase(fsScript_.begin());
    };
    deps_.freeswitchCalls = [this]() -> Result<uint32_t> {
      ++fsPolls_;
      return fsScript_.front();
    };
  }
  int run() { return watchDrain(edge_, options_, deps_, out_, err_); }

  static constexpr const char* kOld = "sip:10.0.1.30:5060";
  test::FakeTandemEdge edge_{"1 sip:10.0.1.30:5060 0 0 weight=100\n"};
  DrainOptions options_;
  DrainDeps deps_;
  int64_t now_ = 0;
  std::vector<Result<uint32_t>> fsScript_;  // one per poll; the last repeats
  int fsPolls_ = 0;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(DrainWithFreeswitchTest, EdgeAtZeroButFreeswitchWithCallsIsNotDrained) {
  fsScript_ = {2u};
  EXPECT_EQ(run(), kDrainTimeout);
  EXPECT_NE(out_.str().find("drain sip:10.0.1.30:5060: 2 calls (edge 0, FreeSWITCH 2), rate not "
                            "known yet (elapsed 0s)\n"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(err_.str(),
            "timeout: sip:10.0.1.30:5060 still has 2 active calls (edge 0, FreeSWITCH 2; threshold "
            "0) after 30s\n");
  EXPECT_EQ(fsPolls_, 3);
}

TEST_F(DrainWithFreeswitchTest, BothAtZeroIsDone) {
  fsScript_ = {2u, 0u};
  EXPECT_EQ(run(), kDrainDone);
  EXPECT_NE(out_.str().find("drain sip:10.0.1.30:5060: 0 calls (edge 0, FreeSWITCH 0), 8.0/min "
                            "ending (elapsed 15s)\n"
                            "drained: sip:10.0.1.30:5060 has 0 calls (edge 0, FreeSWITCH 0; "
                            "threshold 0) after 15s\n"),
            std::string::npos)
      << out_.str();
}

TEST_F(DrainWithFreeswitchTest, TheEdgesCountRulesWhenItIsLarger) {
  edge_.startCalls(1, kOld, 3);
  fsScript_ = {1u};
  options_.threshold = 2;
  EXPECT_EQ(run(), kDrainTimeout);
  EXPECT_NE(out_.str().find("3 calls (edge 3, FreeSWITCH 1)"), std::string::npos) << out_.str();
}

TEST_F(DrainWithFreeswitchTest, AFailingFirstFreeswitchPollIsAnError) {
  fsScript_ = {
      Result<uint32_t>::error("FreeSWITCH 10.0.1.30:8021: authentication refused (-ERR invalid)")};
  EXPECT_EQ(run(), kDrainError);
  EXPECT_EQ(err_.str(),
            "error: FreeSWITCH 10.0.1.30:8021: authentication refused (-ERR invalid)\n");
}

TEST_F(DrainWithFreeswitchTest, ALaterFreeswitchFailureIsTolerated) {
  fsScript_ = {2u,
               Result<uint32_t>::error("FreeSWITCH 10.0.1.30:8021: cannot connect: Connection "
                                       "refused"),
               0u};
  EXPECT_EQ(run(), kDrainDone);
  EXPECT_EQ(err_.str(),
            "warning: poll failed (1 of 3 allowed in a row): FreeSWITCH 10.0.1.30:8021: cannot "
            "connect: Connection refused\n");
}

TEST_F(DrainWithFreeswitchTest, AgainstAFakeNodeOverTheWire) {
  FakeEventSocket fake(freeswitch("ClueCon", "\n0 total.\n"));
  options_.freeswitch = fake.hostPort();
  deps_.freeswitchCalls = [&] { return freeswitchCallCount(fake.hostPort(), "ClueCon", 2000); };
  EXPECT_EQ(run(), kDrainDone) << err_.str();
  EXPECT_NE(out_.str().find("drained: sip:10.0.1.30:5060 has 0 calls (edge 0, FreeSWITCH 0; "
                            "threshold 0) after 0s\n"),
            std::string::npos)
      << out_.str();
}

TEST(RunDrain, ChecksTheFreeswitchAddressAndTheTenant) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 0 0 weight=100\n"
      "2 sip:10.0.1.30:5060 0 0 weight=100\n");
  ASSERT_TRUE(edge.dispatcher().setState(2, "sip:10.0.1.30:5060", dispatcher::State::kDrain));
  edge.startCalls(1, "sip:10.0.1.30:5060", 5);  // another tenant's calls: not watched
  int64_t now = 0;
  DrainDeps deps{[&] { return now; }, [&](std::chrono::milliseconds d) { now += d.count(); }, {}};
  DrainArgs args;
  args.node = "sip:10.0.1.30:5060";
  args.timeout = "1m";
  std::ostringstream out, err;

  args.freeswitch = "10.0.1.30:";
  EXPECT_EQ(runDrainWith(args, edge, deps, out, err), kDrainError);
  EXPECT_EQ(err.str(),
            "error: --fs: invalid FreeSWITCH address \"10.0.1.30:\": expected HOST:PORT\n");
  args.freeswitch.clear();

  err.str("");
  args.set = 2;
  args.tenant = "example.com";
  EXPECT_EQ(runDrainWith(args, edge, deps, out, err), kDrainError);
  EXPECT_EQ(err.str(), "error: --tenant and --set exclude each other (a tenant has one set)\n");
  args.set.reset();

  err.str("");
  EXPECT_EQ(runDrainWith(args, edge, deps, out, err), kDrainError);
  EXPECT_EQ(err.str(), "error: the edge has no tenant table (start it with a [store])\n");

  edge.addTenant("example.com", 2);
  err.str("");
  EXPECT_EQ(runDrainWith(args, edge, deps, out, err), kDrainDone) << err.str();
  EXPECT_TRUE(out.str().starts_with("tenant example.com: watching set 2\n")) << out.str();
  EXPECT_NE(out.str().find("drained: sip:10.0.1.30:5060 has 0 calls"), std::string::npos);
}

}  // namespace
}  // namespace tandem::migrate
