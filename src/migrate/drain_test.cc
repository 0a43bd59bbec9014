// The drain watch against a fake edge whose calls end as a fake clock moves: done, timeout,
// errors, transient failures, the rate estimate and both progress forms.
#include "migrate/drain.h"

#include <gtest/gtest.h>

#include <sstream>

#include "migrate/test_util.h"

namespace tandem::migrate {
namespace {

using std::chrono::milliseconds;

constexpr const char* kOld = "sip:10.0.1.30:5060";

class DrainTest : public ::testing::Test {
 protected:
  DrainTest()
      : edge_("1 sip:10.0.1.30:5060 0 0 weight=100\n1 sip:10.0.1.31:5060 0 0 weight=100\n") {
    EXPECT_TRUE(edge_.dispatcher().setState(1, kOld, dispatcher::State::kDrain));
    options_.node = kOld;
    options_.interval = milliseconds(15'000);
    options_.timeout = milliseconds(3'600'000);
    deps_.nowMs = [this] { return now_; };
    // Each wait lets time pass and, per the script, calls end.
    deps_.sleep = [this](milliseconds d) {
      now_ += d.count();
      ++sleeps_;
      if (onSleep_) onSleep_(sleeps_);
    };
  }

  int run() { return watchDrain(edge_, options_, deps_, out_, err_); }

  test::FakeTandemEdge edge_;
  DrainOptions options_;
  DrainDeps deps_;
  int64_t now_ = 1'000'000;
  int sleeps_ = 0;
  std::function<void(int)> onSleep_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(DrainTest, AnIdleNodeIsDrainedAtOnce) {
  EXPECT_EQ(run(), kDrainDone);
  EXPECT_EQ(out_.str(),
            "drain sip:10.0.1.30:5060: 0 calls, rate not known yet (elapsed 0s)\n"
            "drained: sip:10.0.1.30:5060 has 0 calls (threshold 0) after 0s\n");
  EXPECT_EQ(sleeps_, 0);
}

TEST_F(DrainTest, CountsDownWithRateAndTimeLeft) {
  edge_.startCalls(1, kOld, 10);
  onSleep_ = [this](int) { edge_.endCalls(1, kOld, 2); };  // 2 calls end per 15 s
  EXPECT_EQ(run(), kDrainDone);
  std::string out = out_.str();
  EXPECT_NE(out.find("drain sip:10.0.1.30:5060: 10 calls, rate not known yet (elapsed 0s)\n"),
            std::string::npos);
  EXPECT_NE(out.find("drain sip:10.0.1.30:5060: 8 calls, 8.0/min ending, about 1m00s left "
                     "(elapsed 15s)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("drained: sip:10.0.1.30:5060 has 0 calls (threshold 0) after 1m15s\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(sleeps_, 5);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(DrainTest, StopsAtTheThreshold) {
  edge_.startCalls(1, kOld, 5);
  options_.threshold = 3;
  onSleep_ = [this](int) { edge_.endCalls(1, kOld, 1); };
  EXPECT_EQ(run(), kDrainDone);
  EXPECT_EQ(sleeps_, 2);
}

TEST_F(DrainTest, TimesOutWithExitTwo) {
  edge_.startCalls(1, kOld, 3);
  options_.timeout = milliseconds(40'000);
  EXPECT_EQ(run(), kDrainTimeout);
  // Polls at 0, 15 s, 30 s and at the deadline (40 s), never after it.
  EXPECT_EQ(sleeps_, 3);
  EXPECT_EQ(now_, 1'040'000);
  EXPECT_EQ(err_.str(),
            "timeout: sip:10.0.1.30:5060 still has 3 active calls (threshold 0) after 40s\n");
}

TEST_F(DrainTest, GrowingAndSteadyCountsAreShown) {
  edge_.startCalls(1, kOld, 3);
  options_.timeout = milliseconds(15'000);
  onSleep_ = [this](int) { edge_.startCalls(1, kOld, 1); };
  EXPECT_EQ(run(), kDrainTimeout);
  EXPECT_NE(out_.str().find("4 calls, growing (+4.0/min)"), std::string::npos) << out_.str();
  out_.str("");
  onSleep_ = nullptr;
  EXPECT_EQ(run(), kDrainTimeout);
  EXPECT_NE(out_.str().find("4 calls, steady (elapsed 15s)"), std::string::npos) << out_.str();
}

TEST_F(DrainTest, AnActiveNodeGetsAWarning) {
  ASSERT_TRUE(edge_.dispatcher().setState(1, kOld, dispatcher::State::kActive));
  EXPECT_EQ(run(), kDrainDone);
  EXPECT_EQ(err_.str(),
            "warning: sip:10.0.1.30:5060 is active, not drain: new calls still go to it (tandem "
            "migrate apply a profile that drains it)\n");
}

TEST_F(DrainTest, UnknownNodeIsAnError) {
  options_.node = "sip:10.9.9.9:5060";
  EXPECT_EQ(run(), kDrainError);
  EXPECT_EQ(err_.str(), "error: sip:10.9.9.9:5060 is not in the dispatcher list\n");
  options_.node = kOld;
  options_.set = 2;
  err_.str("");
  EXPECT_EQ(run(), kDrainError);
  EXPECT_EQ(err_.str(), "error: sip:10.0.1.30:5060 is not in the dispatcher list (set 2)\n");
}

TEST_F(DrainTest, ANodeThatLeavesTheListHasDrained) {
  edge_.startCalls(1, kOld, 1);
  onSleep_ = [this](int) {
    // Removed while carrying a call, then the call ends: the edge forgets it.
    ASSERT_TRUE(edge_.dispatcher().remove(1, kOld));
    edge_.endCalls(1, kOld, 1);
  };
  EXPECT_EQ(run(), kDrainDone);
  EXPECT_NE(out_.str().find("0 calls (no longer listed)"), std::string::npos) << out_.str();
}

TEST_F(DrainTest, FirstPollFailingIsAnError) {
  edge_.failing["dispatcher.list"] = "boom";
  EXPECT_EQ(run(), kDrainError);
  EXPECT_EQ(err_.str(), "error: dispatcher.list: error 500: boom\n");
}

TEST_F(DrainTest, TransientFailuresAreToleratedUpToThreeInARow) {
  edge_.startCalls(1, kOld, 2);
  onSleep_ = [this](int n) {
    if (n == 1) edge_.failing["dispatcher.list"] = "busy";
    if (n == 3) {
      edge_.failing.clear();
      edge_.endCalls(1, kOld, 2);
    }
  };
  EXPECT_EQ(run(), kDrainDone);
  EXPECT_EQ(err_.str(),
            "warning: poll failed (1 of 3 allowed in a row): dispatcher.list: error 500: busy\n"
            "warning: poll failed (2 of 3 allowed in a row): dispatcher.list: error 500: busy\n");
}

TEST_F(DrainTest, ThreeFailuresInARowAreAnError) {
  edge_.startCalls(1, kOld, 2);
  onSleep_ = [this](int) { edge_.failing["dispatcher.list"] = "busy"; };
  EXPECT_EQ(run(), kDrainError);
  EXPECT_NE(err_.str().find("error: dispatcher.list: error 500: busy (3 polls in a row)\n"),
            std::string::npos)
      << err_.str();
}

TEST_F(DrainTest, AKamailioListingHasNoCallsToWatch) {
  test::ScriptedLink link;
  link.answer("dispatcher.list", nlohmann::ordered_json::parse(
                                     R"({"RECORDS":[{"SET":{"ID":1,"TARGETS":[{"DEST":{
                                       "URI":"sip:10.0.1.30:5060","FLAGS":"DX"}}]}}]})"));
  EXPECT_EQ(watchDrain(link, options_, deps_, out_, err_), kDrainError);
  EXPECT_EQ(err_.str(),
            "error: dispatcher.list shows no ACTIVE_CALLS for sip:10.0.1.30:5060: the drain "
            "watch needs a tandem edge\n");
}

TEST_F(DrainTest, ATerminalGetsABarOnOneLine) {
  edge_.startCalls(1, kOld, 4);
  options_.terminal = true;
  onSleep_ = [this](int) { edge_.endCalls(1, kOld, 2); };
  EXPECT_EQ(run(), kDrainDone);
  std::string out = out_.str();
  EXPECT_NE(out.find("\r\x1b[K[------------------------------] 4 calls, rate not known yet (0s)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\r\x1b[K[###############---------------] 2 calls, 8.0/min ending, about "
                     "15s left (15s)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\r\x1b[K[##############################] 0 calls"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\ndrained: sip:10.0.1.30:5060 has 0 calls (threshold 0) after 30s\n"))
      << out;
}

TEST(DrainRate, UsesTheRecentWindow) {
  DrainRate r;
  EXPECT_FALSE(r.perMinute());
  r.add(0, 100);
  EXPECT_FALSE(r.perMinute());
  r.add(60'000, 90);
  EXPECT_DOUBLE_EQ(*r.perMinute(), 10.0);
  EXPECT_EQ(*r.timeLeft(0), milliseconds(9 * 60'000));
  EXPECT_EQ(*r.timeLeft(90), milliseconds(0));
  for (int i = 2; i < 12; ++i) r.add(int64_t{i} * 60'000, 90);  // flat for ten minutes
  EXPECT_DOUBLE_EQ(*r.perMinute(), 0.0);
  EXPECT_FALSE(r.timeLeft(0));
}

TEST(NodeCalls, AddsUpEverySetUnlessOneIsGiven) {
  auto rows = parseDispatcherList(nlohmann::ordered_json::parse(R"({"RECORDS":[
    {"SET":{"ID":1,"TARGETS":[{"DEST":{"URI":"sip:a","STATE":"drain","ACTIVE_CALLS":3}}]}},
    {"SET":{"ID":2,"TARGETS":[{"DEST":{"URI":"SIP:A","STATE":"active","ACTIVE_CALLS":4}}]}}]})"));
  ASSERT_TRUE(rows);
  auto all = nodeCalls(*rows, "sip:a", std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->calls, 7u);
  EXPECT_EQ(all->state, "drain");
  auto two = nodeCalls(*rows, "sip:a", 2u);
  EXPECT_EQ(two->calls, 4u);
  EXPECT_FALSE(nodeCalls(*rows, "sip:b", std::nullopt)->listed);
}

}  // namespace
}  // namespace tandem::migrate
