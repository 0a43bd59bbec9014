// Tests for the prober's logic on a fake clock: the issue's timeline, each probing mode, manual
// states, stale results, latency statistics, accepted reply codes, and algorithm 13 on top.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "dispatcher/dispatcher.h"

namespace tandem::dispatcher {
namespace {

std::vector<Destination> listOf(std::string_view text) {
  auto r = parseList(text, "test.list");
  EXPECT_TRUE(r.isOk()) << r.message();
  return r.isOk() ? std::move(r).value() : std::vector<Destination>{};
}

struct Event {
  uint64_t atMs;
  std::string uri;
  State from;
  State to;
  ProbeReason reason;
  int code;
  uint32_t count;
  bool operator==(const Event&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Event& e) {
  return os << e.atMs << "ms " << e.uri << " " << stateName(e.from) << "->" << stateName(e.to)
            << " " << probeReasonName(e.reason) << " " << e.code << " #" << e.count;
}

// A dispatcher, a prober and a fake network: destinations in `dead` never answer; the others
// answer `code` after `rttMs`.
struct Harness {
  explicit Harness(std::string_view list, ProbeConfig config)
      : d(listOf(list), 1), prober(d, std::move(config), [this](const Transition& t) {
          events.push_back(
              Event{now, d.destination(t.dest).uri, t.from, t.to, t.reason, t.code, t.count});
        }) {}

  DestId id(std::string_view uri) const { return *d.findDestination(1, uri); }
  const Destination& dest(std::string_view uri) const { return d.destination(id(uri)); }

  // Runs due() at t and answers the pings of live destinations at t + rttMs.
  std::vector<std::string> tick(uint64_t t, uint32_t rttMs = 5, int code = 200) {
    now = t;
    prober.due(t, pings);
    std::vector<std::string> pinged;
    for (Ping p : pings) pinged.push_back(d.destination(p.dest).uri);
    now = t + rttMs;
    for (Ping p : pings) {
      if (dead.count(d.destination(p.dest).uri) == 0) prober.onReply(p, code, now);
    }
    return pinged;
  }

  // The destinations a new call can go to.
  std::vector<std::string> usable() {
    std::vector<DestId> out;
    EXPECT_TRUE(d.select(1, Algorithm::kSerial, {}, 0, out).isOk());
    std::vector<std::string> u;
    for (DestId i : out) u.push_back(d.destination(i).uri);
    return u;
  }

  Dispatcher d;
  Prober prober;
  uint64_t now = 0;
  std::vector<Event> events;
  std::set<std::string> dead;
  std::vector<Ping> pings;
};

using Uris = std::vector<std::string>;

ProbeConfig timelineConfig(ProbingMode mode) {
  return ProbeConfig{
      .intervalMs = 1000, .probingThreshold = 3, .inactiveThreshold = 3, .mode = mode};
}

TEST(ProberTimelineTest, IssueTimelineInterval1sThresholds3And3) {
  Harness h("1 sip:a\n1 sip:b\n", timelineConfig(ProbingMode::kAll));
  EXPECT_EQ(h.prober.nextDueMs(), 0u);
  EXPECT_EQ(h.tick(0), (Uris{"sip:a", "sip:b"}));
  EXPECT_EQ(h.prober.nextDueMs(), 1000u);
  h.dead.insert("sip:b");  // killed at 0.5 s
  h.tick(1000);
  h.tick(2000);  // ping of 1 s missed: trying, still takes calls
  EXPECT_EQ(h.dest("sip:b").state, State::kTrying);
  EXPECT_EQ(h.usable(), (Uris{"sip:a", "sip:b"}));
  h.tick(3000);
  EXPECT_EQ(h.dest("sip:b").state, State::kTrying);
  h.tick(4000);  // third missed ping (sent at 3 s): inactive, no new calls
  EXPECT_EQ(h.dest("sip:b").state, State::kInactive);
  EXPECT_EQ(h.usable(), (Uris{"sip:a"}));

  h.dead.clear();  // restarted at 4.5 s; inactive destinations are still pinged
  EXPECT_EQ(h.tick(5000), (Uris{"sip:a", "sip:b"}));
  EXPECT_EQ(h.dest("sip:b").state, State::kInactive);
  h.tick(6000);
  EXPECT_EQ(h.dest("sip:b").state, State::kInactive);
  EXPECT_EQ(h.usable(), (Uris{"sip:a"}));
  h.tick(7000);  // third answered ping: active
  EXPECT_EQ(h.dest("sip:b").state, State::kActive);
  EXPECT_EQ(h.usable(), (Uris{"sip:a", "sip:b"}));

  EXPECT_EQ(h.events,
            (std::vector<Event>{
                {2000, "sip:b", State::kActive, State::kTrying, ProbeReason::kTimeout, 408, 1},
                {4000, "sip:b", State::kTrying, State::kInactive, ProbeReason::kTimeout, 408, 3},
                {7005, "sip:b", State::kInactive, State::kActive, ProbeReason::kAnswered, 200, 3},
            }));
  // The pings of 1, 2, 3 and 4 s went unanswered (it came back at 4.5 s).
  EXPECT_EQ(h.dest("sip:b").probe.missed, 4u);
  EXPECT_EQ(h.dest("sip:b").latency.timeouts, 4u);
  EXPECT_EQ(h.dest("sip:a").probe.answered, 8u);
}

TEST(ProberTimelineTest, TimeoutShorterThanIntervalDecidesEarlier) {
  ProbeConfig config = timelineConfig(ProbingMode::kAll);
  config.timeoutMs = 500;
  Harness h("1 sip:a\n1 sip:b\n", config);
  h.tick(0);
  h.dead.insert("sip:b");
  std::vector<uint64_t> wakeups;
  while (h.prober.nextDueMs() <= 4000) {
    uint64_t t = h.prober.nextDueMs();
    wakeups.push_back(t);
    h.tick(t);
  }
  EXPECT_EQ(wakeups, (std::vector<uint64_t>{1000, 1500, 2000, 2500, 3000, 3500, 4000}));
  ASSERT_EQ(h.events.size(), 2u);
  EXPECT_EQ(h.events[0].atMs, 1500u);
  EXPECT_EQ(h.events[1], (Event{3500, "sip:b", State::kTrying, State::kInactive,
                                ProbeReason::kTimeout, 408, 3}));
}

TEST(ProberTimelineTest, EdgeReportedTimeoutsCountOnceAndLateRepliesAreStale) {
  Harness h("1 sip:a\n", timelineConfig(ProbingMode::kAll));
  std::vector<Ping> pings;
  for (uint64_t t : {0, 1000, 2000}) {
    h.prober.due(t, pings);
    ASSERT_EQ(pings.size(), 1u);
    h.prober.onTimeout(pings[0]);  // the edge's transaction gave up (locally generated 408)
    h.prober.onTimeout(pings[0]);  // twice: counted once
    h.prober.onReply(pings[0], 200, t + 900);  // a late answer to a ping already failed
  }
  EXPECT_EQ(h.dest("sip:a").state, State::kInactive);
  EXPECT_EQ(h.dest("sip:a").probe.missed, 3u);
  EXPECT_EQ(h.prober.staleResults(), 6u);
  h.prober.onReply(Ping{99, 1}, 200, 0);  // unknown destination
  EXPECT_EQ(h.prober.staleResults(), 7u);
}

TEST(ProberTimelineTest, LateDueKeepsCadenceAndCountsTheSupersededPingAsMissed) {
  Harness h("1 sip:a\n", timelineConfig(ProbingMode::kAll));
  std::vector<Ping> pings;
  h.prober.due(0, pings);
  h.prober.onReply(pings[0], 200, 10);
  h.prober.due(1300, pings);  // called late
  EXPECT_EQ(pings.size(), 1u);
  EXPECT_EQ(h.prober.nextDueMs(), 2000u);
  h.prober.due(2000, pings);  // the 1.3 s ping is still unanswered: missed
  EXPECT_EQ(h.dest("sip:a").probe.missed, 1u);
  EXPECT_EQ(h.dest("sip:a").state, State::kTrying);
  h.prober.due(9000, pings);  // a stall: the cadence starts over
  EXPECT_EQ(h.prober.nextDueMs(), 10000u);
}

TEST(ProberTimelineTest, LocalTimeoutNeverCountsAsAliveEvenWith408Accepted) {
  ProbeConfig config = timelineConfig(ProbingMode::kAll);
  config.probingThreshold = 1;
  config.replyCodes = *ReplyCodes::parse("408");
  Harness h("1 sip:a\n", config);
  std::vector<Ping> pings;
  h.prober.due(0, pings);
  h.prober.onTimeout(pings[0]);
  EXPECT_EQ(h.dest("sip:a").state, State::kInactive);
}

TEST(ProberTimelineTest, RejectedReplyCodeIsAFailure) {
  ProbeConfig config = timelineConfig(ProbingMode::kAll);
  config.probingThreshold = 2;
  Harness h("1 sip:a\n", config);
  h.tick(0, 5, 503);
  h.tick(1000, 5, 503);
  EXPECT_EQ(h.dest("sip:a").state, State::kInactive);
  EXPECT_EQ(h.dest("sip:a").probe.rejected, 2u);
  EXPECT_EQ(h.dest("sip:a").probe.lastCode, 503);
  EXPECT_EQ(h.dest("sip:a").latency.count, 2u);  // the answer still measured the round trip
  EXPECT_EQ(h.events.back().reason, ProbeReason::kRejected);
  EXPECT_EQ(h.events.back().code, 503);
}

TEST(ProberTimelineTest, TryingRecoversAtTheFirstAnswer) {
  Harness h("1 sip:a\n", timelineConfig(ProbingMode::kAll));
  h.tick(0);
  h.dead.insert("sip:a");
  h.tick(1000);
  h.tick(2000);
  h.tick(3000);
  ASSERT_EQ(h.dest("sip:a").state, State::kTrying);
  EXPECT_EQ(h.dest("sip:a").probe.failures, 2u);
  // The 3 s ping is answered late but before the next round: active at once.
  h.now = 3400;
  h.prober.onReply(h.pings[0], 200, 3400);
  EXPECT_EQ(h.dest("sip:a").state, State::kActive);
  EXPECT_EQ(h.dest("sip:a").probe.failures, 0u);
  EXPECT_EQ(h.events.back(),
            (Event{3400, "sip:a", State::kTrying, State::kActive, ProbeReason::kAnswered, 200, 1}));
}

TEST(ProberModeTest, FailedCallIsIgnoredWithProbingOff) {
  ProbeConfig off = timelineConfig(ProbingMode::kAll);
  off.intervalMs = 0;
  Harness h("1 sip:a\n1 sip:b\n", off);
  h.prober.onCallFailed(h.id("sip:b"));
  EXPECT_EQ(h.dest("sip:b").state, State::kActive);
  EXPECT_EQ(flagsString(h.dest("sip:b")), "AX");
  EXPECT_EQ(h.usable(), (Uris{"sip:a", "sip:b"}));
}

TEST(ProberModeTest, Mode0PingsFlaggedUntilProvenAlive) {
  Harness h("1 sip:a 8\n1 sip:b 0\n", timelineConfig(ProbingMode::kFlagged));
  EXPECT_EQ(h.tick(0), (Uris{"sip:a"}));
  EXPECT_FALSE(h.dest("sip:a").probing());  // answered: no longer under suspicion
  EXPECT_EQ(h.tick(1000), Uris{});
  // A failed call puts b under suspicion: trying, P set, pinged until it answers.
  h.prober.onCallFailed(h.id("sip:b"));
  EXPECT_EQ(flagsString(h.dest("sip:b")), "TP");
  h.dead.insert("sip:b");
  EXPECT_EQ(h.tick(2000), (Uris{"sip:b"}));
  EXPECT_EQ(h.tick(3000), (Uris{"sip:b"}));  // Kamailio would stop here; tandem keeps pinging
  EXPECT_EQ(h.tick(4000), (Uris{"sip:b"}));
  EXPECT_EQ(h.dest("sip:b").state, State::kInactive);
  h.dead.clear();
  for (uint64_t t : {5000, 6000, 7000}) EXPECT_EQ(h.tick(t), (Uris{"sip:b"}));
  EXPECT_EQ(h.dest("sip:b").state, State::kActive);
  EXPECT_EQ(flagsString(h.dest("sip:b")), "AX");
  EXPECT_EQ(h.tick(8000), Uris{});
}

TEST(ProberModeTest, Mode1PingsAllButDisabledNeverPingAndSkipDns) {
  Harness h("1 sip:a\n1 sip:d 4\n1 sip:n 32\n1 sip:s 16\n1 sip:i 1\n",
            timelineConfig(ProbingMode::kAll));
  EXPECT_EQ(flagsString(h.dest("sip:a")), "AX");
  EXPECT_EQ(h.tick(0), (Uris{"sip:a", "sip:i"}));
  EXPECT_EQ(flagsString(h.dest("sip:a")), "AP");  // Kamailio sets P on every probed one
  EXPECT_EQ(flagsString(h.dest("sip:n")), "AX");
}

TEST(ProberModeTest, Mode2PingsOnlyInactiveFlagged) {
  ProbeConfig config = timelineConfig(ProbingMode::kInactiveOnly);
  config.inactiveThreshold = 2;
  Harness h("1 sip:a 0\n1 sip:b 9\n1 sip:c 1\n", config);
  EXPECT_EQ(h.tick(0), (Uris{"sip:b"}));  // c is inactive but not flagged
  EXPECT_EQ(h.tick(1000), (Uris{"sip:b"}));
  EXPECT_EQ(h.dest("sip:b").state, State::kActive);
  EXPECT_FALSE(h.dest("sip:b").probing());
  EXPECT_EQ(h.tick(2000), Uris{});
  // Active destinations go down only through failed calls here.
  for (int i = 0; i < 3; ++i) h.prober.onCallFailed(h.id("sip:a"));
  EXPECT_EQ(h.dest("sip:a").state, State::kInactive);
  EXPECT_EQ(h.tick(3000), (Uris{"sip:a"}));
  EXPECT_EQ(h.events.front(), (Event{1005, "sip:b", State::kInactive, State::kActive,
                                     ProbeReason::kAnswered, 200, 2}));
}

TEST(ProberModeTest, Mode3PingsFlaggedContinuously) {
  Harness h("1 sip:a 8\n1 sip:b 0\n", timelineConfig(ProbingMode::kFlaggedContinuous));
  for (uint64_t t : {0, 1000, 2000}) EXPECT_EQ(h.tick(t), (Uris{"sip:a"}));
  EXPECT_TRUE(h.dest("sip:a").probing());
  // set_state "a" clears P: the answer to the ping in flight no longer counts.
  std::vector<Ping> pings;
  h.prober.due(3000, pings);
  ASSERT_EQ(pings.size(), 1u);
  ASSERT_TRUE(h.d.setState(1, "sip:a", *parseState("a")).isOk());
  h.prober.onReply(pings[0], 200, 3005);
  EXPECT_EQ(h.prober.staleResults(), 1u);
  EXPECT_EQ(h.tick(4000), Uris{});
}

TEST(ProberManualStateTest, DrainIsProbedButStaysDrain) {
  Harness h("1 sip:a\n1 sip:b\n", timelineConfig(ProbingMode::kAll));
  ASSERT_TRUE(h.d.setState(1, "sip:b", State::kDrain).isOk());
  h.dead.insert("sip:b");
  for (uint64_t t : {0, 1000, 2000, 3000}) EXPECT_EQ(h.tick(t), (Uris{"sip:a", "sip:b"}));
  EXPECT_EQ(h.dest("sip:b").state, State::kDrain);
  EXPECT_EQ(h.dest("sip:b").health, State::kInactive);
  EXPECT_EQ(h.events.size(), 2u);  // health changes are still reported
  h.dead.clear();
  for (uint64_t t : {4000, 5000, 6000}) h.tick(t);
  EXPECT_EQ(h.dest("sip:b").state, State::kDrain);
  EXPECT_EQ(h.dest("sip:b").health, State::kActive);
  EXPECT_EQ(h.usable(), (Uris{"sip:a"}));
  // Lifting the drain is the operator's word: back to selection.
  ASSERT_TRUE(h.d.setState(1, "sip:b", State::kActive).isOk());
  EXPECT_EQ(h.usable(), (Uris{"sip:a", "sip:b"}));
}

TEST(ProberManualStateTest, DisabledIsNotProbedAndLateResultsAreIgnored) {
  Harness h("1 sip:a\n1 sip:b\n", timelineConfig(ProbingMode::kAll));
  std::vector<Ping> pings;
  h.prober.due(0, pings);
  ASSERT_EQ(pings.size(), 2u);
  ASSERT_TRUE(h.d.setState(1, "sip:b", *parseState("d")).isOk());
  h.prober.onTimeout(pings[1]);
  EXPECT_EQ(h.dest("sip:b").probe.missed, 0u);
  EXPECT_EQ(h.dest("sip:b").state, State::kDisabled);
  h.dead.insert("sip:a");
  EXPECT_EQ(h.tick(1000), (Uris{"sip:a"}));
  h.prober.onCallFailed(h.id("sip:b"));  // ignored for a disabled destination
  EXPECT_EQ(h.dest("sip:b").probe.failures, 0u);
}

TEST(ProberManualStateTest, RemovedDestinationsAreNotProbed) {
  Harness h("1 sip:a\n1 sip:b\n", timelineConfig(ProbingMode::kAll));
  std::vector<Ping> pings;
  h.prober.due(0, pings);
  DestId b = h.id("sip:b");
  h.d.callStarted(b);
  h.d.reload(listOf("1 sip:a\n"));
  h.prober.onReply(pings[1], 200, 5);
  EXPECT_EQ(h.d.destination(b).probe.answered, 0u);
  EXPECT_EQ(h.tick(1000), (Uris{"sip:a"}));
}

TEST(ProberControlTest, IntervalZeroAndPingActiveOff) {
  Harness off("1 sip:a\n", ProbeConfig{.mode = ProbingMode::kAll});
  EXPECT_EQ(off.tick(0), Uris{});
  EXPECT_EQ(off.prober.nextDueMs(), UINT64_MAX);

  Harness h("1 sip:a\n", timelineConfig(ProbingMode::kAll));
  h.prober.setPingActive(false);
  EXPECT_FALSE(h.prober.pingActive());
  EXPECT_EQ(h.tick(0), Uris{});
  EXPECT_EQ(h.prober.nextDueMs(), UINT64_MAX);
  h.prober.setPingActive(true);
  EXPECT_EQ(h.prober.nextDueMs(), 0u);
  EXPECT_EQ(h.tick(500), (Uris{"sip:a"}));
  EXPECT_EQ(h.prober.nextDueMs(), 1500u);
}

TEST(ProberControlTest, TransitionsMirrorIntoAnotherCopyWithoutLiftingDrain) {
  Harness h("1 sip:a\n1 sip:b\n", timelineConfig(ProbingMode::kAll));
  Dispatcher copy = h.d;  // another thread's copy
  ASSERT_TRUE(copy.setState(1, "sip:b", State::kDrain).isOk());
  Prober mirror(h.d, timelineConfig(ProbingMode::kAll),
                [&copy](const Transition& t) { copy.setHealth(t.dest, t.to); });
  h.dead.insert("sip:b");
  std::vector<Ping> pings;
  for (uint64_t t : {0, 1000, 2000, 3000}) mirror.due(t, pings);
  const Destination& b = copy.destination(*copy.findDestination(1, "sip:b"));
  EXPECT_EQ(b.health, State::kInactive);
  EXPECT_EQ(b.state, State::kDrain);
  const Destination& a = copy.destination(*copy.findDestination(1, "sip:a"));
  EXPECT_EQ(a.state, State::kInactive);  // nobody answered in this test: both went down
}

TEST(ProberControlTest, CallFailuresCountTowardsTheThreshold) {
  Harness h("1 sip:a\n1 sip:b\n", timelineConfig(ProbingMode::kAll));
  DestId a = h.id("sip:a");
  h.prober.onCallFailed(a);
  h.prober.onCallFailed(a);
  EXPECT_EQ(h.dest("sip:a").state, State::kTrying);
  h.prober.onCallFailed(a);
  EXPECT_EQ(h.dest("sip:a").state, State::kInactive);
  EXPECT_EQ(h.events.back().reason, ProbeReason::kCallFailed);
  EXPECT_EQ(probeReasonName(ProbeReason::kCallFailed), "call failed");
}

TEST(ProbingModeTest, FromInt) {
  EXPECT_EQ(*probingModeFromInt(2), ProbingMode::kInactiveOnly);
  EXPECT_EQ(probingModeFromInt(4).message(), "probing_mode must be 0, 1, 2 or 3, got 4");
  EXPECT_EQ(probingModeFromInt(-1).message(), "probing_mode must be 0, 1, 2 or 3, got -1");
}

TEST(ReplyCodesTest, DefaultIs2xxOnly) {
  ReplyCodes codes;
  EXPECT_TRUE(codes.accepts(200));
  EXPECT_TRUE(codes.accepts(299));
  EXPECT_FALSE(codes.accepts(180));
  EXPECT_FALSE(codes.accepts(404));
  EXPECT_FALSE(codes.accepts(408));
  EXPECT_FALSE(codes.accepts(0));
  EXPECT_FALSE(codes.accepts(1000));
}

TEST(ReplyCodesTest, CodesClassesAndKamailioForms) {
  auto r = ReplyCodes::parse(" 404 ; 5xx,class=6;code=486;; ");
  ASSERT_TRUE(r.isOk()) << r.message();
  for (int code : {200, 404, 486, 500, 503, 599, 600, 699}) EXPECT_TRUE(r->accepts(code)) << code;
  for (int code : {403, 408, 480, 700}) EXPECT_FALSE(r->accepts(code)) << code;
  EXPECT_TRUE(ReplyCodes::parse("").isOk());
}

TEST(ReplyCodesTest, ErrorsNameTheItem) {
  constexpr std::string_view kTail =
      "\": expected a code from 100 to 699, a class such as 5xx, code=N or class=N";
  for (std::string_view bad : {"20", "700", "9xx", "code=99", "class=7", "ok", "4x"}) {
    auto r = ReplyCodes::parse("200;" + std::string(bad));
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_EQ(r.message(), "invalid reply code \"" + std::string(bad) + std::string(kTail));
  }
}

TEST(LatencyStatsTest, MeanDeviationMaxMinLast) {
  LatencyStats s;
  for (uint32_t ms : {10, 20, 30}) s.add(ms, 0.1);
  EXPECT_EQ(s.count, 3u);
  EXPECT_DOUBLE_EQ(s.avg, 20.0);
  EXPECT_DOUBLE_EQ(s.stdev, 10.0);
  EXPECT_DOUBLE_EQ(s.est, 20.0);  // the mean until the 10th sample
  EXPECT_EQ(s.min, 10u);
  EXPECT_EQ(s.max, 30u);
  EXPECT_EQ(s.last, 30u);
  EXPECT_EQ(s.timeouts, 0u);
}

TEST(LatencyStatsTest, EstimateIsAMovingAverageFromTheTenthSample) {
  LatencyStats s;
  for (int i = 0; i < 9; ++i) s.add(10, 0.1);
  EXPECT_DOUBLE_EQ(s.est, 10.0);
  s.add(110, 0.1);  // 10th: 0.1 * 110 + 0.9 * 10
  EXPECT_NEAR(s.est, 20.0, 1e-9);
  EXPECT_NEAR(s.avg, 20.0, 1e-9);
  s.add(20, 0.1);  // 0.1 * 20 + 0.9 * 20
  EXPECT_NEAR(s.est, 20.0, 1e-9);
  EXPECT_EQ(s.max, 110u);
  EXPECT_NEAR(s.stdev, std::sqrt(9000.0 / 10), 1e-9);  // nine samples off by 10, one by 90
}

TEST(LatencyStatsTest, ProberFeedsRoundTripsAndTimeouts) {
  Harness h("1 sip:a\n", timelineConfig(ProbingMode::kAll));
  h.tick(0, 40);
  h.tick(1000, 60);
  h.tick(2000, 5, 408);  // a 408 answer: a timeout, not a sample
  h.dead.insert("sip:a");
  h.tick(3000);
  h.tick(4000);
  const LatencyStats& s = h.dest("sip:a").latency;
  EXPECT_EQ(s.count, 2u);
  EXPECT_DOUBLE_EQ(s.avg, 50.0);
  EXPECT_EQ(s.max, 60u);
  EXPECT_EQ(s.last, 60u);
  EXPECT_EQ(s.timeouts, 2u);  // the 408 answer and the 3 s ping
  EXPECT_EQ(h.dest("sip:a").probe.sent, 5u);
}

TEST(LatencyAlgorithmTest, AdjustedPriorityFromTheEstimate) {
  // a: 10 - 50/10 = 5; b: 10 (5 ms <= priority: no handicap); c: 5; z: priority 0, unadjusted.
  Harness h("1 sip:a 0 10\n1 sip:b 0 10\n1 sip:c 0 5\n1 sip:z 0 0\n",
            timelineConfig(ProbingMode::kAll));
  std::vector<Ping> pings;
  h.prober.due(0, pings);
  for (Ping p : pings) {
    const std::string& uri = h.d.destination(p.dest).uri;
    h.prober.onReply(p, 200, uri == "sip:a" ? 50 : uri == "sip:z" ? 900 : 5);
  }
  std::vector<DestId> out;
  ASSERT_TRUE(h.d.select(1, Algorithm::kLatency, {}, 0, out).isOk());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(h.d.destination(out[0]).uri, "sip:b");
  EXPECT_EQ(h.d.destination(out[3]).uri, "sip:z");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(h.d.select(1, Algorithm::kLatency, {}, 1, out).isOk());
    EXPECT_EQ(h.d.destination(out[0]).uri, "sip:b");  // alone in the best tier
  }
  // b slows down to 300 ms: 10 - est/10 falls below 1 and clamps to 1; a and c now share the
  // best tier (5) and take turns.
  for (uint64_t t = 1000; t <= 10000; t += 1000) {
    h.prober.due(t, pings);
    for (Ping p : pings) {
      const std::string& uri = h.d.destination(p.dest).uri;
      h.prober.onReply(p, 200, t + (uri == "sip:b" ? 300 : uri == "sip:a" ? 50 : 5));
    }
  }
  ASSERT_GT(h.dest("sip:b").latency.est, 110.0);
  std::set<std::string> firsts;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(h.d.select(1, Algorithm::kLatency, {}, 1, out).isOk());
    firsts.insert(h.d.destination(out[0]).uri);
  }
  EXPECT_EQ(firsts, (std::set<std::string>{"sip:a", "sip:c"}));
}

}  // namespace
}  // namespace tandem::dispatcher
