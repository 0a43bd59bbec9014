#include "txn/txn.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace tandem::txn {
namespace {

// A UDP socket standing for the remote peer, and the layer under test on a manual clock.
class TxnTest : public ::testing::Test, public ClientUser, public ServerUser {
 protected:
  void SetUp() override {
    peerFd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    auto addr = *SocketAddress::parse("127.0.0.1:0");
    ASSERT_EQ(bind(peerFd_, addr.sockaddr(), addr.length()), 0);
    socklen_t len = sizeof(sockaddr_storage);
    getsockname(peerFd_, addr.mutableSockaddr(), &len);
    addr.setLength(len);
    peer_.address = addr;
    ASSERT_TRUE(transport_.listen(*ListenSpec::parse("udp:127.0.0.1:0")));
    timers_.t1 = 500;
    timers_.t2 = 4000;
    timers_.frTimer = 2000;
    timers_.frInvTimer = 10000;
    layer_ = std::make_unique<TransactionLayer>(loop_, transport_, timers_, this);
  }
  void TearDown() override {
    layer_.reset();
    close(peerFd_);
  }

  // Moves time forward in 10 ms steps, running the loop, and returns what the peer received.
  std::vector<std::string> advance(uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 10) {
      clock_.advance(10);
      loop_.runOnce(0);
    }
    loop_.runOnce(0);
    std::vector<std::string> got;
    char buf[2048];
    for (;;) {
      ssize_t n = recv(peerFd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      got.emplace_back(buf, static_cast<size_t>(n));
    }
    return got;
  }

  void onResponse(ClientTransaction&, int code, std::string_view) override {
    responses_.push_back(code);
  }
  void onTimeout(ClientTransaction&) override { ++timeouts_; }
  void onTerminated(ClientTransaction&) override { ++clientsGone_; }
  void onTerminated(ServerTransaction&) override { ++serversGone_; }

  ManualClock clock_{1000};
  EventLoop loop_{clock_};
  struct NullReceiver : transport::Receiver {
    void onMessage(const transport::Inbound&) override {}
  } receiver_;
  transport::TransportLayer transport_{loop_, receiver_};
  Timers timers_;
  std::unique_ptr<TransactionLayer> layer_;
  int peerFd_ = -1;
  Peer peer_;
  std::vector<int> responses_;
  int timeouts_ = 0;
  int clientsGone_ = 0;
  int serversGone_ = 0;
};

TEST_F(TxnTest, InviteClientRetransmitsWithTimerADoubling) {
  ASSERT_NE(layer_->startClient("INVITE b1", "b1", true, peer_, "INVITE-1", this), nullptr);
  EXPECT_EQ(advance(0).size(), 1u);    // first send
  EXPECT_EQ(advance(490).size(), 0u);  // not before T1
  EXPECT_EQ(advance(20).size(), 1u);   // at 500 ms
  EXPECT_EQ(advance(980).size(), 0u);  // next at 1500 ms (interval 1000)
  EXPECT_EQ(advance(20).size(), 1u);
  EXPECT_EQ(timeouts_, 0);
}

TEST_F(TxnTest, InviteClientTimesOutAfterFrTimer) {
  layer_->startClient("INVITE b1", "b1", true, peer_, "INVITE-1", this);
  advance(1990);
  EXPECT_EQ(timeouts_, 0);
  advance(20);
  EXPECT_EQ(timeouts_, 1);
  EXPECT_EQ(clientsGone_, 1);
  EXPECT_EQ(layer_->findClient("INVITE b1"), nullptr);
}

TEST_F(TxnTest, ProvisionalStopsRetransmissionsAndWaitsFrInvTimer) {
  layer_->startClient("INVITE b1", "b1", true, peer_, "INVITE-1", this);
  advance(0);
  ASSERT_TRUE(layer_->receiveResponse("INVITE b1", 180, "180"));
  EXPECT_EQ(responses_, std::vector<int>{180});
  EXPECT_EQ(advance(5000).size(), 0u);  // no retransmission after a provisional
  EXPECT_EQ(timeouts_, 0);              // fr_timer no longer applies
  advance(5100);
  EXPECT_EQ(timeouts_, 1);  // fr_inv_timer (10 s) after the provisional
}

TEST_F(TxnTest, AfterTimerCTheTransactionStaysToAckTheFinalAnswer) {
  ClientTransaction* c = layer_->startClient("INVITE b1", "b1", true, peer_, "INVITE-1", this);
  layer_->receiveResponse("INVITE b1", 180, "180");
  advance(10010);
  EXPECT_EQ(timeouts_, 1);
  ASSERT_EQ(layer_->findClient("INVITE b1"), c);  // still there for the 487
  layer_->receiveResponse("INVITE b1", 487, "487");
  EXPECT_EQ(responses_, (std::vector<int>{180, 487}));
  advance(64 * 500 + 20);
  EXPECT_EQ(layer_->findClient("INVITE b1"), nullptr);
}

TEST_F(TxnTest, Non2xxFinalIsPassedUpOnceAndItsRetransmissionsReAcked) {
  ClientTransaction* c = layer_->startClient("INVITE b1", "b1", true, peer_, "INVITE-1", this);
  advance(0);
  layer_->receiveResponse("INVITE b1", 486, "486");
  c->sendAck("ACK-1");
  EXPECT_EQ(advance(0), std::vector<std::string>{"ACK-1"});
  layer_->receiveResponse("INVITE b1", 486, "486");  // retransmitted by the peer
  EXPECT_EQ(advance(0), std::vector<std::string>{"ACK-1"});
  EXPECT_EQ(responses_, std::vector<int>{486});
  EXPECT_EQ(layer_->counters().responseRetransmissionsAbsorbed, 1u);
}

TEST_F(TxnTest, Every2xxIsPassedUpInAcceptedState) {
  layer_->startClient("INVITE b1", "b1", true, peer_, "INVITE-1", this);
  layer_->receiveResponse("INVITE b1", 200, "200");
  layer_->receiveResponse("INVITE b1", 200, "200");
  EXPECT_EQ(responses_, (std::vector<int>{200, 200}));
  advance(64 * 500 + 20);  // Timer M
  EXPECT_EQ(layer_->findClient("INVITE b1"), nullptr);
}

TEST_F(TxnTest, NonInviteClientTimerECapsAtT2) {
  layer_->startClient("OPTIONS b2", "b2", false, peer_, "OPTIONS-1", this);
  timers_.frTimer = 2000;
  EXPECT_EQ(advance(0).size(), 1u);
  EXPECT_EQ(advance(510).size(), 1u);   // 500
  EXPECT_EQ(advance(1000).size(), 1u);  // 1500
  EXPECT_EQ(timeouts_, 0);
  advance(600);  // F at 2000
  EXPECT_EQ(timeouts_, 1);
}

TEST_F(TxnTest, ServerReplaysLastResponseOnRetransmittedRequest) {
  ServerTransaction* s = layer_->createServer("INVITE x", true, peer_);
  s->respond(100, "100-Trying");
  EXPECT_EQ(advance(0), std::vector<std::string>{"100-Trying"});
  s->retransmitted();
  EXPECT_EQ(advance(0), std::vector<std::string>{"100-Trying"});
  EXPECT_EQ(layer_->counters().requestRetransmissionsAbsorbed, 1u);
}

TEST_F(TxnTest, ServerRetransmitsNon2xxFinalUntilAck) {
  ServerTransaction* s = layer_->createServer("INVITE x", true, peer_);
  s->respond(503, "503");
  EXPECT_EQ(advance(0).size(), 1u);
  EXPECT_EQ(advance(510).size(), 1u);   // Timer G at T1
  EXPECT_EQ(advance(1000).size(), 1u);  // then 2*T1
  s->ackReceived();
  EXPECT_EQ(s->state(), ServerTransaction::State::kConfirmed);
  EXPECT_EQ(advance(4000).size(), 0u);
  advance(2000);  // Timer I (T4 = 5 s) ends it
  EXPECT_EQ(serversGone_, 1);
}

TEST_F(TxnTest, ServerWithoutAckGivesUpAfterTimerH) {
  layer_->createServer("INVITE x", true, peer_)->respond(486, "486");
  advance(64 * 500 + 50);
  EXPECT_EQ(serversGone_, 1);
  EXPECT_EQ(layer_->findServer("INVITE x"), nullptr);
}

TEST_F(TxnTest, Server2xxMovesToAcceptedAndPassesFurther2xx) {
  ServerTransaction* s = layer_->createServer("INVITE x", true, peer_);
  s->respond(200, "200-a");
  s->respond(200, "200-b");  // a retransmission from downstream, forwarded through
  EXPECT_EQ(advance(0), (std::vector<std::string>{"200-a", "200-b"}));
  EXPECT_EQ(s->state(), ServerTransaction::State::kAccepted);
  s->retransmitted();  // an INVITE retransmission in Accepted is absorbed silently
  EXPECT_EQ(advance(0).size(), 0u);
}

TEST_F(TxnTest, NonInviteServerKeepsFinalForTimerJ) {
  ServerTransaction* s = layer_->createServer("BYE y", false, peer_);
  s->respond(200, "200");
  advance(0);
  s->retransmitted();
  EXPECT_EQ(advance(0), std::vector<std::string>{"200"});
  advance(64 * 500 + 20);
  EXPECT_EQ(serversGone_, 1);
}

}  // namespace
}  // namespace tandem::txn
