// Gated runs against a fake edge (a real Dispatcher behind the edge's RPC methods) with a fake
// clock: each sleep advances time and lets the scenario move the edge's counters, as live traffic
// would.
#include "migrate/run.h"

#include <gtest/gtest.h>

#include <sstream>

#include "migrate/test_util.h"
#include "store/store.h"

namespace tandem::migrate {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kOld = "sip:10.0.1.30:5060";
constexpr const char* kNew = "sip:10.0.1.31:5060";

// The edge as a run sees it: counters that grow per simulated second, per profile on the edge.
class LiveEdge : public test::FakeTandemEdge {
 public:
  LiveEdge() : FakeTandemEdge(std::string("1 ") + kOld + " 0 0 weight=100\n") {}

  // One simulated second of 100 new calls/s split by the weights on the edge; calls to the new
  // node are answered with probability newAsr.
  void tick() {
    const auto* n = find(1, kNew);
    const uint32_t newShare =
        (n != nullptr && n->state == dispatcher::State::kActive) ? newWeight() : 0;
    const uint64_t toNew = newShare;  // of 100 calls
    const uint64_t toOld = 100 - toNew;
    const auto newAnswered = static_cast<uint64_t>(static_cast<double>(toNew) * newAsr);
    stats["call_attempts"] += 100;
    stats["calls_answered"] += toOld + newAnswered;
    replies503 += toNew - newAnswered;
    metrics = "tandem_sip_replies_total{code=\"200\"} " + std::to_string(stats["calls_answered"]) +
              "\ntandem_sip_replies_total{code=\"503\"} " + std::to_string(replies503) + "\n";
  }
  uint32_t newWeight() const {
    const auto* n = find(1, kNew);
    return n == nullptr ? 0 : n->attrs.weight;
  }
  std::string state(const char* uri) const {
    const auto* d = find(1, uri);
    return d == nullptr ? "absent" : std::string(dispatcher::stateName(d->state));
  }

  double newAsr = 1.0;
  uint64_t replies503 = 0;
};

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::openStore("sqlite::memory:");
    ASSERT_TRUE(s) << s.message();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->migrate());
    edge_.stats["call_attempts"] = 0;
    edge_.stats["calls_answered"] = 0;
    edge_.tick();
    plan_.name = "fs1-to-fs2";
    plan_.oldUri = kOld;
    plan_.newUri = kNew;
    plan_.phases = {PhaseSpec{ModeSpec{Mode::kBoth, 0}, seconds(20)},
                    PhaseSpec{ModeSpec{Mode::kNew, 0}, seconds(20)}};
    plan_.gates.interval = seconds(2);
    plan_.gates.window = seconds(10);
    plan_.gates.asrMin = 90;
    plan_.drain.interval = seconds(5);
    plan_.drain.timeout = seconds(60);
    plan_.snapshots = dir_.file("snapshots");
    plan_.audit = dir_.file("audit.jsonl");
    options_.now = [this] { return std::chrono::system_clock::time_point(milliseconds(nowMs_)); };
    options_.sleep = [this](milliseconds d) {
      for (int64_t t = 0; t < d.count(); t += 1000) {
        nowMs_ += 1000;
        edge_.tick();
        if (onSecond) onSecond();
      }
    };
  }

  int run() { return runMigrationWith(plan_, options_, edge_, store_.get(), out_, err_); }

  std::string stored(const std::string& key) {
    auto got = store_->getMigrationRun(plan_.name);
    if (!got || !got->has_value()) return "";
    auto j = nlohmann::json::parse((*got)->state);
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
  }

  size_t auditLines() {
    std::string text = test::readFile(plan_.audit);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }

  test::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  LiveEdge edge_;
  Plan plan_;
  RunOptions options_;
  int64_t nowMs_ = 1'700'000'000'000;
  std::function<void()> onSecond;
  std::ostringstream out_, err_;
};

TEST_F(RunTest, HealthyRunShiftsThroughEveryPhaseAndDrainsTheOldNode) {
  // The old node's calls end while the new node takes over.
  edge_.startCalls(1, kOld, 3);
  int ended = 0;
  onSecond = [&] {
    if (edge_.state(kOld) == "drain" && ended < 3) {
      edge_.endCalls(1, kOld, 1);
      ++ended;
    }
  };
  EXPECT_EQ(run(), kRunDone) << out_.str() << err_.str();
  EXPECT_EQ(edge_.state(kOld), "drain");
  EXPECT_EQ(edge_.state(kNew), "active");
  EXPECT_EQ(edge_.newWeight(), 100u);
  EXPECT_EQ(stored("status"), "done");
  EXPECT_EQ(stored("last_good"), "new");
  EXPECT_EQ(auditLines(), 2u);  // both, new
  EXPECT_NE(stored("snapshot_before"), "");
  EXPECT_NE(stored("snapshot_after"), "");
  EXPECT_NE(out_.str().find("phase both held for 20s: gates passed"), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("asr_min 100.0% (200/200)"), std::string::npos) << out_.str();
}

TEST_F(RunTest, FailingNewNodeTripsTheAsrGateAndRollsBackToOld) {
  edge_.newAsr = 0;  // the new node answers 503 to everything
  int64_t shiftMs = 0;
  onSecond = [&] {
    if (shiftMs == 0 && edge_.state(kNew) == "active") shiftMs = nowMs_;
  };
  EXPECT_EQ(run(), kRunRolledBack) << out_.str();
  EXPECT_EQ(edge_.state(kOld), "active");
  EXPECT_EQ(edge_.state(kNew), "drain");
  EXPECT_EQ(stored("status"), "rolled_back");
  auto got = store_->getMigrationRun(plan_.name);
  auto j = nlohmann::json::parse((*got)->state);
  EXPECT_EQ(j["rollback"]["gate"], "asr_min");
  EXPECT_EQ(j["rollback"]["to"], "old");
  EXPECT_EQ(j["rollback"]["value"], "50.0% (100/200)");
  // Two ticks of traffic on the shifted set, then the rollback.
  EXPECT_NE(out_.str().find("GATE TRIPPED in phase both: asr_min 50.0% (100/200) (limit ≥ 90.0%)"),
            std::string::npos)
      << out_.str();
  // After the rollback, every new call is answered again.
  const uint64_t before = edge_.replies503;
  options_.sleep(seconds(5));
  EXPECT_EQ(edge_.replies503, before);
}

TEST_F(RunTest, BreachInALaterPhaseGoesBackToTheLastGoodPhase) {
  onSecond = [&] {
    if (edge_.newWeight() == 100) edge_.newAsr = 0.5;
  };
  EXPECT_EQ(run(), kRunRolledBack) << out_.str();
  EXPECT_EQ(edge_.state(kOld), "active");
  EXPECT_EQ(edge_.newWeight(), 50u);
  auto j = nlohmann::json::parse((*store_->getMigrationRun(plan_.name))->state);
  EXPECT_EQ(j["rollback"]["to"], "both");
  EXPECT_EQ(j["rollback"]["phase"], "new");
}

TEST_F(RunTest, TooFewCallsAreNotJudged) {
  plan_.gates.minCalls = 100'000;
  edge_.newAsr = 0;
  edge_.startCalls(1, kOld, 0);
  EXPECT_EQ(run(), kRunDone) << out_.str();
  EXPECT_NE(out_.str().find("asr_min not judged ("), std::string::npos);
}

TEST_F(RunTest, RollbackDeadlineStopsARunThatTakesTooLong) {
  plan_.rollbackDeadline = seconds(30);
  EXPECT_EQ(run(), kRunRolledBack) << out_.str();
  auto j = nlohmann::json::parse((*store_->getMigrationRun(plan_.name))->state);
  EXPECT_EQ(j["rollback"]["gate"], "rollback_deadline");
  EXPECT_EQ(j["rollback"]["to"], "both");
}

TEST_F(RunTest, RateGateCountsFiveHundredsPerMinute) {
  plan_.gates.asrMin.reset();
  plan_.gates.max5xxPerMin = 60;  // one a second
  edge_.newAsr = 0.9;             // 50 calls/s to the new node, 5 fail: 300/min
  EXPECT_EQ(run(), kRunRolledBack);
  auto j = nlohmann::json::parse((*store_->getMigrationRun(plan_.name))->state);
  EXPECT_EQ(j["rollback"]["gate"], "max_5xx_per_min");
  EXPECT_EQ(j["rollback"]["value"], "300.0/min");
}

TEST_F(RunTest, ARunWhoseCliStoppedIsResumedAtItsPhase) {
  // First CLI: killed during phase new (simulated by ending it from inside the sleep).
  struct Stop {};
  onSecond = [&] {
    if (edge_.newWeight() == 100) throw Stop{};
  };
  EXPECT_THROW(run(), Stop);
  // Its state says running, owned by a process on another host that stopped beating.
  auto got = store_->getMigrationRun(plan_.name);
  auto j = nlohmann::json::parse((*got)->state);
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["phase"], 1);
  j["owner_host"] = "gone-host";
  ASSERT_TRUE(store_->putMigrationRun(store::MigrationRun{plan_.name, j.dump(), 0}));
  nowMs_ += 60'000;
  onSecond = nullptr;
  std::ostringstream out2;
  EXPECT_EQ(runMigrationWith(plan_, options_, edge_, store_.get(), out2, err_), kRunDone)
      << out2.str();
  EXPECT_NE(out2.str().find("resuming run fs1-to-fs2"), std::string::npos);
  EXPECT_NE(out2.str().find("resuming phase new"), std::string::npos);
  EXPECT_EQ(out2.str().find("applying both"), std::string::npos);
  EXPECT_EQ(stored("status"), "done");
}

TEST_F(RunTest, ARunOwnedByALiveProcessIsNotTakenOver) {
  ASSERT_TRUE(run() == kRunDone);
  auto j = nlohmann::json::parse((*store_->getMigrationRun(plan_.name))->state);
  j["status"] = "running";
  j["owner_pid"] = static_cast<int64_t>(::getppid());  // alive: our parent
  ASSERT_TRUE(store_->putMigrationRun(store::MigrationRun{plan_.name, j.dump(), nowMs_}));
  EXPECT_EQ(run(), kRunFailed);
  EXPECT_NE(err_.str().find("is being executed by pid"), std::string::npos) << err_.str();
}

TEST_F(RunTest, RollbackFromAnotherShellStopsTheRun) {
  onSecond = [&] {
    if (edge_.newWeight() != 50) return;
    auto j = nlohmann::json::parse((*store_->getMigrationRun(plan_.name))->state);
    j["status"] = "rolled_back";
    ASSERT_TRUE(store_->putMigrationRun(store::MigrationRun{plan_.name, j.dump(), nowMs_}));
  };
  EXPECT_EQ(run(), kRunRolledBack);
  EXPECT_NE(out_.str().find("ended from another shell"), std::string::npos) << out_.str();
  EXPECT_EQ(edge_.newWeight(), 50u);  // the runner applied nothing more
}

TEST_F(RunTest, IngressCheckRefusesAnOldNodeThatIsNotActive) {
  plan_.oldUri = "sip:10.0.9.9:5060";
  EXPECT_EQ(run(), kRunFailed);
  EXPECT_NE(err_.str().find("ingress check: sip:10.0.9.9:5060 is not in set 1"), std::string::npos)
      << err_.str();
  EXPECT_EQ(auditLines(), 0u);
}

TEST_F(RunTest, DryRunPrintsEveryStepAndChangesNothing) {
  options_.dryRun = true;
  EXPECT_EQ(runMigrationWith(plan_, options_, edge_, nullptr, out_, err_), kRunDone);
  const std::string o = out_.str();
  EXPECT_NE(o.find("phase both: sip:10.0.1.30:5060 active weight=50; sip:10.0.1.31:5060 active "
                   "weight=50; hold 20s; on a breach roll back to old"),
            std::string::npos)
      << o;
  EXPECT_NE(o.find("on a breach roll back to both"), std::string::npos);
  EXPECT_NE(o.find("asr_min 90.0%"), std::string::npos);
  for (const auto& c : edge_.calls) EXPECT_EQ(c.rfind("dispatcher.list", 0), 0u) << c;
  EXPECT_EQ(edge_.state(kNew), "absent");
}

}  // namespace
}  // namespace tandem::migrate
