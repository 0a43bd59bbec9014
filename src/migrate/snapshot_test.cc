// Snapshots: reading reply counters from /metrics, capture from a fake edge, the JSON file, and
// the diff (what moved, regressions, restarts).
#include "migrate/snapshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "migrate/migrate.h"
#include "migrate/test_util.h"

namespace tandem::migrate {
namespace {

const SystemTime kT0 = std::chrono::system_clock::from_time_t(1714564800);  // 2024-05-01 12:00

TEST(ParseReplyCounters, ReadsTheRepliesMetricOnly) {
  auto r = parseReplyCounters(
      "# HELP tandem_sip_replies_total Responses sent upstream, by status code\n"
      "# TYPE tandem_sip_replies_total counter\n"
      "tandem_sip_replies_total{code=\"200\"} 1200\n"
      "tandem_sip_replies_total{code=\"503\"} 3 1714564800000\n"
      "tandem_sip_replies_total{code=\"408\"} 1e+01\n"
      "tandem_sip_replies_totalx{code=\"404\"} 9\n"
      "tandem_sip_requests_total{method=\"INVITE\"} 5\n"
      "tandem_sip_replies_total{code=\"abc\"} 7\n"
      "tandem_sip_replies_total{code=\"486\"} -1\n");
  EXPECT_EQ(r, (std::map<int, uint64_t>{{200, 1200}, {408, 10}, {503, 3}}));
}

TEST(CheckLabel, RejectsWhatDoesNotBelongInAFileName) {
  EXPECT_TRUE(checkLabel("before-canary_1.2"));
  EXPECT_EQ(checkLabel("a/b").message(),
            "invalid label \"a/b\": use letters, digits, '.', '_' and '-' (at most 100)");
  EXPECT_FALSE(checkLabel(""));
  EXPECT_FALSE(checkLabel(".hidden"));
  EXPECT_FALSE(checkLabel("a b"));
}

TEST(TakeSnapshot, CapturesEverythingTheEdgeHas) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  edge.startCalls(1, "sip:10.0.1.30:5060", 7);
  edge.contacts = 42;
  edge.stats["call_attempts"] = 100;
  edge.stats["calls_answered"] = 90;
  edge.metrics =
      "tandem_sip_replies_total{code=\"200\"} 90\n"
      "tandem_sip_replies_total{code=\"180\"} 50\n"
      "tandem_sip_replies_total{code=\"503\"} 6\n"
      "tandem_sip_replies_total{code=\"408\"} 4\n";
  auto s = takeSnapshot(edge, "before", kT0);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->taken, "2024-05-01T12:00:00Z");
  EXPECT_EQ(s->edge, "http://fake-edge/rpc");
  ASSERT_EQ(s->destinations.size(), 1u);
  EXPECT_EQ(s->destinations[0].state, "active");
  EXPECT_EQ(s->destinations[0].activeCalls, 7u);
  EXPECT_EQ(s->registrations, 42u);
  EXPECT_EQ(s->counters.at("forwarded_requests"), 10u);
  EXPECT_EQ(s->replies5xx, 6u);
  EXPECT_EQ(s->replies408, 4u);
  EXPECT_EQ(s->finalReplies, 100u);
  ASSERT_TRUE(s->asr);
  EXPECT_DOUBLE_EQ(s->asr->percent(), 90.0);
  EXPECT_FALSE(s->asrWindow);  // no window asked for
  EXPECT_TRUE(s->notes.empty());
}

TEST(TakeSnapshot, NotesWhatTheEdgeLacks) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  auto s = takeSnapshot(edge, "x", kT0);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->registrations);
  EXPECT_EQ(s->notes, (std::vector<std::string>{
                          "no answer-seizure ratio: the edge does not count call outcomes",
                          "no registrations count: ul.stats: error -32601: Method not found",
                          "no reply-code counters: http://fake-edge/metrics answered HTTP 404 "
                          "Not Found"}));
}

TEST(TakeSnapshot, NeedsDispatcherList) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  edge.failing["dispatcher.list"] = "boom";
  EXPECT_EQ(takeSnapshot(edge, "x", kT0).message(), "dispatcher.list: error 500: boom");
  EXPECT_EQ(takeSnapshot(edge, "a b", kT0).message(),
            "invalid label \"a b\": use letters, digits, '.', '_' and '-' (at most 100)");
}

Snapshot sample() {
  Snapshot s;
  s.label = "a";
  s.taken = "2024-05-01T12:00:00Z";
  s.takenMs = 1714564800000;
  s.edge = "http://e/rpc";
  s.destinations.push_back({1, "sip:10.0.1.30:5060", "active", "AX", 100, 5,
                            ListedDest::Latency{2.5, 2.0, 9, 2, 1},
                            DestSnapshot::Calls{40, 38, 1, 1}});
  s.destinations.push_back(
      {1, "sip:10.0.1.31:5060", "drain", "RX", 0, std::nullopt, std::nullopt, std::nullopt});
  s.registrations = 10;
  s.counters = {{"rx", 100}};
  s.replies = {{200, 95}, {503, 5}};
  s.replies5xx = 5;
  s.finalReplies = 100;
  s.asr = Asr{80, 76};
  s.asrWindow = Asr{20, 18};
  s.windowMs = 10'000;
  return s;
}

TEST(SnapshotAsr, ReadsTheEdgesCallCountersAndMeasuresTheWindow) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  edge.stats["call_attempts"] = 100;
  edge.stats["calls_answered"] = 90;
  auto snap = takeSnapshot(edge, "w", kT0, std::nullopt, std::chrono::seconds(10),
                           [&edge](std::chrono::milliseconds) {
                             // Ten seconds of traffic: 50 calls, 25 answered.
                             edge.stats["call_attempts"] += 50;
                             edge.stats["calls_answered"] += 25;
                           });
  ASSERT_TRUE(snap) << snap.message();
  ASSERT_TRUE(snap->asr && snap->asrWindow);
  EXPECT_EQ(snap->asr->attempts, 100u);
  EXPECT_DOUBLE_EQ(snap->asr->percent(), 90.0);
  EXPECT_EQ(snap->asrWindow->attempts, 50u);
  EXPECT_DOUBLE_EQ(snap->asrWindow->percent(), 50.0);
  auto j = snapshotToJson(*snap);
  EXPECT_EQ(j["asr_window"]["window_ms"], 10'000);
  EXPECT_EQ(j["asr_window"]["percent"], 50.0);
}

TEST(SnapshotAsr, DiffGivesTheRatioOfTheCallsBetweenTheTwo) {
  Snapshot a = sample();
  Snapshot b = sample();
  b.asr = Asr{180, 126};  // 100 more calls, 50 answered
  SnapshotDiff d = diffSnapshots(a, b);
  ASSERT_TRUE(d.asrBetween);
  EXPECT_DOUBLE_EQ(d.asrBetween->percent(), 50.0);
  EXPECT_THAT(d.lines, ::testing::Contains("answer-seizure ratio between A and B: 50.0% (50 "
                                           "answered of 100); up to A: 95.0% (76 answered of 80)"));
}

TEST(SnapshotJson, RoundTrips) {
  Snapshot s = sample();
  auto back = snapshotFromJson(snapshotToJson(s).dump(), "s.json");
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(snapshotToJson(*back).dump(), snapshotToJson(s).dump());
}

TEST(SnapshotJson, ForeignFilesAreErrors) {
  EXPECT_EQ(snapshotFromJson("{}", "x.json").message(), "x.json: not a tandem migrate snapshot");
  EXPECT_EQ(snapshotFromJson("[1", "x.json").message(), "x.json: not a tandem migrate snapshot");
  auto j = snapshotToJson(sample());
  j["destinations"][0].erase("uri");
  EXPECT_TRUE(snapshotFromJson(j.dump(), "x.json").message().starts_with("x.json: malformed: "));
}

TEST(WriteSnapshot, NamesTheFileByTimeAndLabelAndNeverOverwrites) {
  test::TempDir dir;
  Snapshot s = sample();
  s.label = "before";
  auto path = writeSnapshot(s, dir.file("snaps"), kT0);
  ASSERT_TRUE(path) << path.message();
  EXPECT_EQ(*path, dir.file("snaps") + "/20240501T120000Z-before.json");
  auto again = writeSnapshot(s, dir.file("snaps"), kT0);
  EXPECT_EQ(again.message(), "cannot create " + *path + ": File exists");
}

TEST(DiffSnapshots, ShowsWhatMoved) {
  Snapshot a = sample();
  Snapshot b = sample();
  b.label = "b";
  b.taken = "2024-05-01T12:05:00Z";
  b.takenMs += 300'000;
  b.destinations[0].state = "drain";
  b.destinations[0].activeCalls = 2;
  b.destinations[0].latency->avg = 10.0;
  b.destinations.erase(b.destinations.begin() + 1);
  b.destinations.push_back(
      {1, "sip:10.0.1.32:5060", "active", "AX", 100, 0, std::nullopt, std::nullopt});
  b.registrations = 12;
  b.asr = Asr{180, 170};
  b.counters = {{"rx", 150}};
  b.replies = {{200, 195}, {503, 5}};
  SnapshotDiff d = diffSnapshots(a, snapshotFromJson(snapshotToJson(b).dump(), "b").value());
  EXPECT_EQ(d.lines,
            (std::vector<std::string>{
                "from a (2024-05-01T12:00:00Z) to b (2024-05-01T12:05:00Z), 5m00s apart",
                "set 1 sip:10.0.1.30:5060: state active -> drain",
                "set 1 sip:10.0.1.30:5060: active calls 5 -> 2 (-3)",
                "set 1 sip:10.0.1.30:5060: latency avg 2.5 -> 10.0 ms",
                "set 1 sip:10.0.1.31:5060: gone (was drain, ? calls)",
                "set 1 sip:10.0.1.32:5060: new (active, 0 calls)", "registrations 10 -> 12 (+2)",
                "counter rx 100 -> 150 (+50)",
                "answer-seizure ratio between A and B: 94.0% (94 answered of 100); up to A: 95.0% "
                "(76 answered of 80)",
                "replies 200 +100", "new 5xx: 0 (0.00% of 100 final replies; 5.00% up to A)",
                "new 408: 0 (0.00% of 100 final replies; 0.00% up to A)"}));
  EXPECT_FALSE(d.regression);
}

TEST(DiffSnapshots, MoreFiveHundredsThanBeforeIsARegression) {
  Snapshot a = sample();  // 5 of 100 final replies were 5xx
  Snapshot b = sample();
  b.replies = {{200, 175}, {503, 25}};  // the window: 20 of 100
  b = snapshotFromJson(snapshotToJson(b).dump(), "b").value();
  SnapshotDiff d = diffSnapshots(a, b);
  EXPECT_TRUE(d.regression);
  EXPECT_EQ(d.new5xx, 20u);
  EXPECT_DOUBLE_EQ(d.window5xx, 0.2);
  EXPECT_DOUBLE_EQ(d.base5xx, 0.05);
  EXPECT_EQ(d.lines.back(), "REGRESSION: 5xx share grew from 5.00% to 20.00%");
}

TEST(DiffSnapshots, New408sAtTheOldRateAreNoRegressionButAHigherRateIs) {
  Snapshot a = sample();
  a.replies = {{200, 90}, {408, 10}};
  a = snapshotFromJson(snapshotToJson(a).dump(), "a").value();
  Snapshot b = a;
  b.replies = {{200, 180}, {408, 20}};  // 10% before, 10% in the window
  b = snapshotFromJson(snapshotToJson(b).dump(), "b").value();
  EXPECT_FALSE(diffSnapshots(a, b).regression);
  b.replies = {{200, 170}, {408, 30}};  // 20% in the window
  b = snapshotFromJson(snapshotToJson(b).dump(), "b").value();
  SnapshotDiff d = diffSnapshots(a, b);
  EXPECT_TRUE(d.regression);
  EXPECT_EQ(d.lines.back(), "REGRESSION: 408 share grew from 10.00% to 20.00%");
}

TEST(DiffSnapshots, ARestartInBetweenCountsBsRepliesAsTheWindow) {
  Snapshot a = sample();
  Snapshot b = sample();
  b.replies = {{200, 10}, {503, 2}};
  b = snapshotFromJson(snapshotToJson(b).dump(), "b").value();
  SnapshotDiff d = diffSnapshots(a, b);
  EXPECT_TRUE(d.countersReset);
  EXPECT_EQ(d.new5xx, 2u);
  EXPECT_EQ(d.newFinal, 12u);
  EXPECT_TRUE(d.regression);  // 2 of 12 is more than 5 of 100
}

TEST(DiffSnapshots, WithoutReplyCountersNothingIsCompared) {
  Snapshot a = sample();
  a.replies.clear();
  a = snapshotFromJson(snapshotToJson(a).dump(), "a").value();
  SnapshotDiff d = diffSnapshots(a, a);
  EXPECT_FALSE(d.regression);
  EXPECT_EQ(d.lines.back(), "no reply-code counters in either snapshot: 5xx/408 not compared");
}

TEST(TakeSnapshot, ATenantScopeKeepsOnlyItsSet) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 0 0 weight=100\n2 sip:10.0.2.30:5060 0 0 weight=100\n"
      "2 sip:10.0.2.31:5060 0 0 weight=100\n");
  auto s = takeSnapshot(edge, "t", kT0, SnapshotScope{"example.com", 2});
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(s->destinations.size(), 2u);
  EXPECT_EQ(s->destinations[0].uri, "sip:10.0.2.30:5060");
  EXPECT_EQ(s->destinations[1].uri, "sip:10.0.2.31:5060");
  EXPECT_EQ(s->notes.back(),
            "scope example.com (set 2): destinations of that set only; counters, registrations "
            "and reply codes are the whole edge's");
  auto j = snapshotToJson(*s);
  EXPECT_EQ(j["scope"].dump(), R"({"tenant":"example.com","set":2})");
  auto back = snapshotFromJson(j.dump(), "t.json");
  ASSERT_TRUE(back) << back.message();
  ASSERT_TRUE(back->scope);
  EXPECT_EQ(back->scope->tenant, "example.com");
  EXPECT_EQ(back->scope->set, 2u);
  EXPECT_EQ(snapshotToJson(*back).dump(), j.dump());
}

TEST(SnapshotJson, AWholeEdgeSnapshotHasNoScope) {
  EXPECT_FALSE(snapshotToJson(sample()).contains("scope"));
  EXPECT_FALSE(snapshotFromJson(snapshotToJson(sample()).dump(), "s.json")->scope);
}

TEST(DiffSnapshots, SaysWhenTheScopesDiffer) {
  Snapshot a = sample();
  Snapshot b = sample();
  b.scope = SnapshotScope{"example.com", 1};
  SnapshotDiff d = diffSnapshots(a, b);
  ASSERT_GE(d.lines.size(), 2u);
  EXPECT_EQ(d.lines[1], "scope differs: A covers the whole edge, B tenant example.com (set 1)");
  a.scope = b.scope;
  EXPECT_TRUE(diffSnapshots(a, b).lines[1].find("scope") == std::string::npos);
}

TEST(RunSnapshot, ATenantIsLookedUpOnTheEdge) {
  test::TempDir dir;
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n2 sip:10.0.2.30:5060 0 0\n");
  SnapshotArgs args;
  args.label = "t";
  args.outDir = dir.path();
  args.tenant = "example.com";
  std::ostringstream out, err;
  EXPECT_EQ(runSnapshotWith(args, edge, kT0, out, err), kExitFailed);
  EXPECT_EQ(err.str(), "error: the edge has no tenant table (start it with a [store])\n");
  edge.addTenant("example.com", 2);
  err.str("");
  ASSERT_EQ(runSnapshotWith(args, edge, kT0, out, err), kExitOk) << err.str();
  std::string path = out.str().substr(0, out.str().size() - 1);
  auto back = snapshotFromJson(test::readFile(path), path);
  ASSERT_TRUE(back) << back.message();
  ASSERT_EQ(back->destinations.size(), 1u);
  EXPECT_EQ(back->destinations[0].uri, "sip:10.0.2.30:5060");
  EXPECT_EQ(back->scope->set, 2u);
}

}  // namespace
}  // namespace tandem::migrate
